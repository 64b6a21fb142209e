/**
 * The quantization namespace of the DSL (Horizon's horizon_plugin_pytorch.quantization and friends):
 * prepare, fusion, qconfigs, observers, fake quantizers, setters, dtypes, fake-quant states.
 */
import { QuantStub, DeQuantStub, FloatFunctional } from '../nn/index';
import * as fused from '../nn/fused';
import { symbolic_trace } from '../graph/tracer';
import { GraphModule } from '../graph/graph_module';
import { fuse_fx } from '../graph/fuse';
import { fuse_modules } from '../graph/fuse_modules';
import { prepare } from '../quant/prepare';
import { freeze_bn_stats } from '../quant/qat_modules';
import { QConfig, qint8, quint8, qint16, qint32 } from '../quant/qconfig';
import * as templates from '../quant/qconfig_templates';
import * as setters from '../quant/setters';
import { FakeQuantize, FakeQuantizeBase } from '../quant/fake_quantize';
import { LearnableFakeQuantize } from '../quant/fake_quantize_learnable';
import * as observers from '../quant/observer';
import {
  set_fake_quantize,
  get_fake_quantize_states,
  enable_fake_quant,
  disable_fake_quant,
  enable_observer,
  disable_observer,
} from '../quant/fake_quant_state';
import { FakeQuantState } from '../quant/types';
import { defineConfig } from './config';
import { callableClass } from './callable';

export const quantization = {
  // model preparation
  prepare,
  prepare_qat_fx: prepare,
  symbolic_trace,
  GraphModule,
  fuse_fx,
  fuse_modules,
  fuse_known_modules: fuse_modules,
  freeze_bn_stats,
  QuantStub,
  DeQuantStub,
  FloatFunctional,
  // fused module classes (torch.ao.nn.intrinsic / horizon.nn.intrinsic)
  FusedConv2d: fused.FusedConv2d,
  FusedLinear: fused.FusedLinear,
  ...Object.fromEntries([...fused.FUSED_CONV_CLASSES, ...fused.FUSED_LINEAR_CLASSES].map((c) => [c.name, c])),
  // qconfig
  QConfig: callableClass(QConfig),
  get_qconfig: templates.get_qconfig,
  default_calib_8bit_fake_quant_qconfig: templates.default_calib_8bit_fake_quant_qconfig,
  default_qat_8bit_fake_quant_qconfig: templates.default_qat_8bit_fake_quant_qconfig,
  default_qat_8bit_fixed_act_fake_quant_qconfig: templates.default_qat_8bit_fixed_act_fake_quant_qconfig,
  default_calib_8bit_weight_32bit_out_fake_quant_qconfig: templates.default_calib_8bit_weight_32bit_out_fake_quant_qconfig,
  default_qat_8bit_weight_32bit_out_fake_quant_qconfig: templates.default_qat_8bit_weight_32bit_out_fake_quant_qconfig,
  default_calib_8bit_weight_16bit_act_fake_quant_qconfig: templates.default_calib_8bit_weight_16bit_act_fake_quant_qconfig,
  default_qat_8bit_weight_16bit_act_fake_quant_qconfig: templates.default_qat_8bit_weight_16bit_act_fake_quant_qconfig,
  qint8,
  quint8,
  qint16,
  qint32,
  // setters (qconfig templates)
  default_calibration_qconfig_setter: setters.default_calibration_qconfig_setter,
  default_qat_qconfig_setter: setters.default_qat_qconfig_setter,
  default_qat_fixed_act_qconfig_setter: setters.default_qat_fixed_act_qconfig_setter,
  calibration_8bit_weight_16bit_act_qconfig_setter: setters.calibration_8bit_weight_16bit_act_qconfig_setter,
  qat_8bit_weight_16bit_act_qconfig_setter: setters.qat_8bit_weight_16bit_act_qconfig_setter,
  qat_8bit_weight_16bit_fixed_act_qconfig_setter: setters.qat_8bit_weight_16bit_fixed_act_qconfig_setter,
  sensitive_op_calibration_8bit_weight_16bit_act_qconfig_setter: setters.sensitive_op_calibration_8bit_weight_16bit_act_qconfig_setter,
  sensitive_op_qat_8bit_weight_16bit_act_qconfig_setter: setters.sensitive_op_qat_8bit_weight_16bit_act_qconfig_setter,
  sensitive_op_qat_8bit_weight_16bit_fixed_act_qconfig_setter: setters.sensitive_op_qat_8bit_weight_16bit_fixed_act_qconfig_setter,
  ModuleNameQconfigSetter: callableClass(setters.ModuleNameQconfigSetter),
  // fake quantize and observers
  FakeQuantizeBase,
  ObserverBase: observers.ObserverBase,
  FakeQuantize,
  LearnableFakeQuantize,
  MinMaxObserver: observers.MinMaxObserver,
  MovingAverageMinMaxObserver: observers.MovingAverageMinMaxObserver,
  PerChannelMinMaxObserver: observers.PerChannelMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver: observers.MovingAveragePerChannelMinMaxObserver,
  HistogramObserver: observers.HistogramObserver,
  MSEObserver: observers.MSEObserver,
  PercentileObserver: observers.PercentileObserver,
  FixedScaleObserver: observers.FixedScaleObserver,
  // fake-quant states
  FakeQuantState,
  set_fake_quantize,
  get_fake_quantize_states,
  enable_fake_quant,
  disable_fake_quant,
  enable_observer,
  disable_observer,
  // the playground's stage configuration (qconfig.ts)
  defineConfig,
};
