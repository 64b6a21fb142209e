/** The observers of the DSL (names and options as torch.ao.quantization and the Horizon toolchain). */
export { ObserverBase, MinMaxStateObserver, type ObserverArgs, type QParamsSource } from './observer_base';
export {
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  PerChannelMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver,
  MinMaxFamilyObserver,
} from './observer_minmax';
export { HistogramObserver } from './observer_histogram';
export { MSEObserver, PercentileObserver } from './observer_horizon';
export { FixedScaleObserver } from './observer_fixed';
export { makeFactory, type Factory, type ClassOrFactory } from './with_args';
