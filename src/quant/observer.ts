/** The observers of the DSL (names and options as torch.ao.quantization and the Horizon toolchain). */
import { ObserverBase, MinMaxStateObserver, type ObserverArgs, type QParamsSource } from './observer_base';
import {
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  PerChannelMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver,
  MinMaxFamilyObserver,
} from './observer_minmax';
import { HistogramObserver } from './observer_histogram';
import { MSEObserver, PercentileObserver } from './observer_horizon';
import { FixedScaleObserver } from './observer_fixed';

export {
  ObserverBase,
  MinMaxStateObserver,
  type ObserverArgs,
  type QParamsSource,
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  PerChannelMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver,
  MinMaxFamilyObserver,
  HistogramObserver,
  MSEObserver,
  PercentileObserver,
  FixedScaleObserver,
};
export { makeFactory, type Factory, type ClassOrFactory } from './with_args';

/** Observer classes by name (golden files, checkpoints and tables name them). */
export const OBSERVER_CLASSES: Readonly<Record<string, new (args: Partial<ObserverArgs>) => ObserverBase>> = {
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  PerChannelMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver,
  HistogramObserver,
  MSEObserver,
  PercentileObserver,
  FixedScaleObserver,
};
