/** torch.optim as the engine has it. */
export { Optimizer, type ParamGroup } from './optimizer';
export { SGD, type SGDOptions } from './sgd';
export { Adam, AdamW, type AdamOptions } from './adam';
export { LRScheduler, StepLR, MultiStepLR, CosineAnnealingLR, LinearLR, SequentialLR } from './lr_scheduler';
