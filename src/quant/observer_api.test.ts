import { describe, expect, it } from 'vitest';
import { Module } from '../nn/module';
import {
  FixedScaleObserver,
  HistogramObserver,
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  MovingAveragePerChannelMinMaxObserver,
  MSEObserver,
  PercentileObserver,
  PerChannelMinMaxObserver,
} from './observer';
import { FakeQuantize } from './fake_quantize';
import { LearnableFakeQuantize } from './fake_quantize_learnable';
import { set_fake_quantize, get_fake_quantize_states } from './fake_quant_state';
import { FakeQuantState } from './types';

describe('observer classes', () => {
  it('take PyTorch defaults and options', () => {
    const m = new MinMaxObserver();
    expect([m.dtype, m.qscheme, m.quant_min, m.quant_max, m.averaging_constant]).toEqual(['quint8', 'per_tensor_affine', 0, 255, null]);
    const r = new MinMaxObserver({ reduce_range: true });
    expect([r.quant_min, r.quant_max]).toEqual([0, 127]);
    const ma = new MovingAverageMinMaxObserver({ dtype: 'qint8', qscheme: 'per_tensor_symmetric' });
    expect([ma.averaging_constant, ma.quant_min, ma.quant_max]).toEqual([0.01, -128, 127]);
    const pc = new PerChannelMinMaxObserver();
    expect([pc.dtype, pc.qscheme, pc.ch_axis, pc.min_val.shape]).toEqual(['qint8', 'per_channel_affine', 0, [0]]);
    const mpc = new MovingAveragePerChannelMinMaxObserver({ ch_axis: 1, averaging_constant: 0.5 });
    expect([mpc.ch_axis, mpc.averaging_constant]).toEqual([1, 0.5]);
    const h = new HistogramObserver();
    expect([h.bins, h.upsample_rate, h.dst_nbins, h.histogram.shape]).toEqual([2048, 128, 256, [2048]]);
    const i16 = new MinMaxObserver({ dtype: 'qint16', qscheme: 'per_tensor_symmetric' });
    expect([i16.quant_min, i16.quant_max]).toEqual([-32768, 32767]);
  });

  it('Horizon observers default to qint8 symmetric with a moving average', () => {
    const mse = new MSEObserver();
    expect([mse.dtype, mse.qscheme, mse.averaging_constant, mse.stride]).toEqual(['qint8', 'per_tensor_symmetric', 0.01, 1]);
    const mseCh = new MSEObserver({ qscheme: 'per_channel_symmetric', ch_axis: 0 });
    expect(mseCh.ch_axis).toBe(0);
    const p = new PercentileObserver({ percentile: 99.9 });
    expect([p.percentile, p.bins]).toEqual([99.9, 2048]);
    const f = new FixedScaleObserver({ dtype: 'qint16', scale: 0.0625 });
    expect([f.dtype, f.quant_min, f.quant_max, f.scale.shape]).toEqual(['qint16', -32768, 32767, [1]]);
    expect(() => new MSEObserver({ qscheme: 'per_tensor_affine' })).toThrow(/only symmetric/);
    expect(() => new FixedScaleObserver({ scale: 0 })).toThrow(/positive/);
  });

  it('reject options they do not take and bad ranges, by name', () => {
    expect(() => new MinMaxObserver({ bins: 10 } as never)).toThrow(/MinMaxObserver: unexpected option 'bins'/);
    expect(() => new MinMaxObserver({ quant_min: 1, quant_max: 10 })).toThrow(/must include 0/);
    expect(() => new MinMaxObserver({ quant_min: -1 })).toThrow(/together/);
    expect(() => new MinMaxObserver({ dtype: 'qint8', quant_min: -200, quant_max: 100 })).toThrow(/exceeds qint8/);
    expect(() => new PerChannelMinMaxObserver({ qscheme: 'per_tensor_affine' })).toThrow(/is per tensor/);
    expect(() => new MovingAverageMinMaxObserver({ averaging_constant: 2 })).toThrow(/averaging_constant/);
    expect(() => new MinMaxObserver({ is_dynamic: true })).toThrow(/dynamic/);
  });

  it('with_args makes fresh instances with bound arguments, chainable, later ones winning', () => {
    const f = MinMaxObserver.with_args({ dtype: 'qint8', qscheme: 'per_tensor_symmetric' });
    const a = f();
    const b = f();
    expect(a).not.toBe(b);
    expect(a).toBeInstanceOf(MinMaxObserver);
    expect(a.dtype).toBe('qint8');
    const g = f.with_args({ dtype: 'qint16' });
    expect(g().dtype).toBe('qint16');
    expect(f().dtype).toBe('qint8');
    expect(g.cls).toBe(MinMaxObserver);
    expect(g.args).toEqual({ dtype: 'qint16', qscheme: 'per_tensor_symmetric' });
    expect(String(g)).toContain('MinMaxObserver');
  });
});

describe('FakeQuantize', () => {
  it('passes its options to the observer and takes dtype/qscheme/ch_axis from it', () => {
    const fq = FakeQuantize.with_args({
      observer: MovingAveragePerChannelMinMaxObserver,
      dtype: 'qint8',
      qscheme: 'per_channel_symmetric',
      ch_axis: 0,
      averaging_constant: 1,
    })();
    expect(fq.activation_post_process).toBeInstanceOf(MovingAveragePerChannelMinMaxObserver);
    expect([fq.dtype, fq.qscheme, fq.ch_axis, fq.quant_min, fq.quant_max, fq.is_per_channel]).toEqual([
      'qint8',
      'per_channel_symmetric',
      0,
      -128,
      127,
      true,
    ]);
    expect((fq.activation_post_process as MovingAveragePerChannelMinMaxObserver).averaging_constant).toBe(1);
    expect([...fq.state_dict().keys()]).toEqual(['scale', 'zero_point', 'activation_post_process.min_val', 'activation_post_process.max_val']);
  });

  it('defaults to MovingAverageMinMaxObserver, and call arguments win over a factory observer', () => {
    const fq = new FakeQuantize();
    expect(fq.activation_post_process).toBeInstanceOf(MovingAverageMinMaxObserver);
    const fixed = new FakeQuantize({ observer: FixedScaleObserver.with_args({ scale: 0.5 }), dtype: 'qint16', scale: 0.0625 });
    expect(fixed.dtype).toBe('qint16');
    expect(fixed.activation_post_process).toBeInstanceOf(FixedScaleObserver);
  });

  it('LearnableFakeQuantize keeps scale and zero point as parameters', () => {
    const lsq = new LearnableFakeQuantize({ observer: MovingAverageMinMaxObserver, dtype: 'qint8', qscheme: 'per_tensor_symmetric', scale: 0.1 });
    expect([...lsq.named_parameters()].map(([n]) => n)).toEqual(['scale', 'zero_point']);
    expect(lsq.static_enabled).toBe(true);
    lsq.enable_param_learning();
    expect([lsq.static_enabled, lsq.learning_enabled, lsq.scale.requiresGrad]).toEqual([false, true, true]);
    expect(() => new LearnableFakeQuantize({ observer: PerChannelMinMaxObserver })).toThrow(/channel_len/);
  });
});

class Net extends Module {
  act = new FakeQuantize();
  head = new Head();
}
class Head extends Module {
  out = new FakeQuantize();
}

describe('set_fake_quantize', () => {
  it('sets the Horizon states and refuses the wrong train/eval mode with what to do', () => {
    const net = new Net();
    expect(() => set_fake_quantize(net, FakeQuantState.CALIBRATION)).toThrow(/Call model.eval\(\) before/);
    net.eval();
    set_fake_quantize(net, FakeQuantState.CALIBRATION);
    expect([net.act.fake_quant_enabled, net.act.observer_enabled, net.act.training, net.training]).toEqual([false, true, true, false]);
    expect(() => set_fake_quantize(net, FakeQuantState.QAT)).toThrow(/Call model.train\(\) before/);
    net.eval();
    set_fake_quantize(net, FakeQuantState.VALIDATION);
    expect([net.act.fake_quant_enabled, net.act.observer_enabled]).toEqual([true, false]);
    net.train();
    set_fake_quantize(net, FakeQuantState.QAT);
    expect([net.act.fake_quant_enabled, net.act.observer_enabled]).toEqual([true, true]);
    expect(get_fake_quantize_states(net)).toEqual(new Map([['act', 'QAT'], ['head.out', 'QAT']]));
  });

  it('works on a subtree (frozen backbone, QAT head)', () => {
    const net = new Net();
    net.train();
    net.act.eval();
    set_fake_quantize(net.act, FakeQuantState.VALIDATION);
    set_fake_quantize(net.head, FakeQuantState.QAT);
    expect(get_fake_quantize_states(net)).toEqual(new Map([['act', 'VALIDATION'], ['head.out', 'QAT']]));
    expect(net.act.observer_enabled).toBe(false);
  });
});
