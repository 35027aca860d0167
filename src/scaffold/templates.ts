/** Every model template, in the order the wizard lists them. */
import type { ModelTemplate } from './code';
import { convAutoencoder, denoisingAutoencoder, denseAutoencoder } from './templates/autoencoder';
import { cnnClassifier } from './templates/cnn';
import { mlpClassifier, mlpRegressor } from './templates/mlp';
import { residualCnn } from './templates/residual';
import { charGenerator, rnnTextClassifier, timeSeriesForecaster } from './templates/rnn';

export const TEMPLATES: readonly ModelTemplate[] = [
  cnnClassifier,
  residualCnn,
  mlpClassifier,
  mlpRegressor,
  rnnTextClassifier,
  charGenerator,
  timeSeriesForecaster,
  denseAutoencoder,
  convAutoencoder,
  denoisingAutoencoder,
];

export const TEMPLATE_IDS: readonly string[] = TEMPLATES.map((t) => t.id);

export function findTemplate(id: string): ModelTemplate | undefined {
  return TEMPLATES.find((t) => t.id === id);
}
