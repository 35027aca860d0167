# The PyTorch peers of bench/fusedTrainer.ts's models, layer for layer (NCHW, same sizes, same optimizer
# and batch), trained on random inputs and labels (speed does not depend on the values). Each step ends
# with loss.item(), as Model Lab reads every batch's loss. Prints one JSON line.
# Usage: /usr/bin/python3 bench/torchModels.py MODEL [batches=100] [warmup=5] [threads=1]
#   MODEL: referenceCnn | cnnTemplate | cifarCnn | mlp | lstm | separableCnn | mobilenetBlocks
import json, sys, time
import torch
import torch.nn as nn

name = sys.argv[1]
NB = int(sys.argv[2]) if len(sys.argv) > 2 else 100
NW = int(sys.argv[3]) if len(sys.argv) > 3 else 5
torch.set_num_threads(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
torch.manual_seed(0)
B = 64


class LastStep(nn.Module):
    def __init__(self, units):
        super().__init__()
        self.lstm = nn.LSTM(28, units, batch_first=True)

    def forward(self, x):
        return self.lstm(x)[0][:, -1]


if name == 'referenceCnn':
    shape = (1, 28, 28)
    model = nn.Sequential(nn.Conv2d(1, 8, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    lr = 1e-3
elif name == 'cnnTemplate':
    shape = (1, 28, 28)
    model = nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Dropout(0.25), nn.Linear(800, 64), nn.ReLU(), nn.Linear(64, 10))
    lr = 1e-3
elif name == 'cifarCnn':
    shape = (3, 32, 32)
    model = nn.Sequential(nn.Conv2d(3, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(64, 64, 3), nn.ReLU(), nn.Flatten(), nn.Linear(1024, 64), nn.ReLU(), nn.Linear(64, 10))
    lr = 1e-3
elif name == 'mlp':
    shape = (784,)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    lr = 1e-3
elif name == 'lstm':
    shape = (28, 28)
    model = nn.Sequential(LastStep(64), nn.Linear(64, 10))
    lr = 1e-3
elif name == 'separableCnn':
    # bench/fusedSeparable.ts's: a separable conv is a depthwise conv (groups = channels, no bias) then a 1x1 conv.
    def separable(c, f, stride=1):
        return [nn.Conv2d(c, c, 3, stride, 1, groups=c, bias=False), nn.Conv2d(c, f, 1), nn.ReLU()]
    shape = (1, 28, 28)
    model = nn.Sequential(nn.Conv2d(1, 16, 3, 2, 1), nn.ReLU(), *separable(16, 32), *separable(32, 64, 2), *separable(64, 64),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))
    lr = 1e-3
elif name == 'mobilenetBlocks':
    def block(c, f, stride):
        return [nn.Conv2d(c, c, 3, stride, 1, groups=c, bias=False), nn.BatchNorm2d(c), nn.ReLU6(),
                nn.Conv2d(c, f, 1, bias=False), nn.BatchNorm2d(f), nn.ReLU6()]
    shape = (1, 28, 28)
    model = nn.Sequential(nn.Conv2d(1, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU6(), *block(16, 32, 1), *block(32, 64, 2),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))
    lr = 1e-3
else:
    raise SystemExit(f'unknown model {name}')

x = torch.rand(B, *shape)
y = torch.randint(0, 10, (B,))
lossf = nn.CrossEntropyLoss()
opt = torch.optim.Adam(model.parameters(), lr=lr)


def step():
    opt.zero_grad()
    loss = lossf(model(x), y)
    loss.backward()
    opt.step()
    return loss.item()


for _ in range(NW):
    step()
# As bench/fusedTrainer.ts reads Model Lab's runs: the median rate over windows of 8 steps.
WINDOW = 8
windows = []
t0 = time.perf_counter()
c0 = time.process_time()
tw = t0
for i in range(NB):
    loss = step()
    if (i + 1) % WINDOW == 0:
        now = time.perf_counter()
        windows.append(WINDOW * B / (now - tw))
        tw = now
s = time.perf_counter() - t0
cpu = time.process_time() - c0
windows.sort()
print(json.dumps({'model': name, 'torch': torch.__version__, 'threads': torch.get_num_threads(), 'batch': B, 'batches': NB,
                  'samples_per_s': NB * B / s, 'median_window_samples_per_s': windows[len(windows) // 2], 'samples_per_cpu_s': NB * B / cpu, 'loss': loss}))
