# The reference CNN of issue 3 in PyTorch, the peer bench/peerTorch.ts measures Model Lab against:
# conv 8@5x5 -> pool -> conv 16@5x5 -> pool -> dense 128 -> dense 10 on 28x28x1, batch 64, Adam,
# random inputs and labels (speed does not depend on the values). Each step ends with loss.item(),
# as tfjs's trainOnBatch reads its loss. Prints one JSON line: samples per second of wall time and of
# process CPU time (steadier on a busy machine; for 2 threads it includes pool spinning).
# Usage: /usr/bin/python3 bench/torchReference.py [batches=40] [warmup=5] [threads=1]
import json, sys, time
import torch
import torch.nn as nn

NB = int(sys.argv[1]) if len(sys.argv) > 1 else 40
NW = int(sys.argv[2]) if len(sys.argv) > 2 else 5
torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
torch.manual_seed(0)
B = 64
model = nn.Sequential(
    nn.Conv2d(1, 8, 5), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(8, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10),
)
x = torch.rand(B, 1, 28, 28)
y = torch.randint(0, 10, (B,))
lossf = nn.CrossEntropyLoss()  # log-softmax + NLL; tfjs uses softmax + categorical cross-entropy
opt = torch.optim.Adam(model.parameters(), lr=1e-3)


def step():
    opt.zero_grad()
    loss = lossf(model(x), y)
    loss.backward()
    opt.step()
    return loss.item()


for _ in range(NW):
    step()
t0 = time.perf_counter()
c0 = time.process_time()
for _ in range(NB):
    loss = step()
s = time.perf_counter() - t0
cpu = time.process_time() - c0
print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'batch': B, 'batches': NB,
                  'seconds': s, 'samples_per_s': NB * B / s, 'samples_per_cpu_s': NB * B / cpu, 'loss': loss}))
