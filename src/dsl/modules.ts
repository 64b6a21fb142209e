/**
 * The modules user code can import. Specifiers mirror the Python ones with dots or slashes:
 *
 *   import { nn, torch, F } from "torch";                         // also "torch/nn", "torch/nn/functional"
 *   import { prepare, get_qconfig, ... } from "horizon_plugin_pytorch/quantization";
 *
 * Every Horizon sub-path people import from (`.../quantization/qconfig`, `.../qconfig_template`,
 * `.../fake_quantize`, `.../observer`, `horizon_plugin_pytorch/dtype`, `horizon_plugin_pytorch/nn/quantized`,
 * `torch/quantization`, `torch/ao/quantization`) resolves to the same quantization namespace, so imports
 * copied from Python code work after `from x.y import a` → `import { a } from "x/y"`. qconfig.ts may also
 * import from "./model".
 */
import { F, nn, torch } from './torch';
import { quantization } from './quantization';

const torchModule = { __esModule: true, default: torch, ...torch, torch, nn, F, functional: F };
const nnModule = { __esModule: true, default: nn, ...nn };
const functionalModule = { __esModule: true, default: F, ...F };
const quantizationModule = { __esModule: true, default: quantization, ...quantization };
const horizonRoot = { ...quantizationModule, quantization, default: { quantization } };

const MODULES: Record<string, Record<string, unknown>> = {
  torch: torchModule,
  'torch/nn': nnModule,
  'torch/nn/functional': functionalModule,
  'torch/quantization': quantizationModule,
  'torch/ao/quantization': quantizationModule,
  'torch/fx': quantizationModule,
  horizon_plugin_pytorch: horizonRoot,
  'horizon_plugin_pytorch/quantization': quantizationModule,
  'horizon_plugin_pytorch/quantization/qconfig': quantizationModule,
  'horizon_plugin_pytorch/quantization/qconfig_template': quantizationModule,
  'horizon_plugin_pytorch/quantization/fake_quantize': quantizationModule,
  'horizon_plugin_pytorch/quantization/observer': quantizationModule,
  'horizon_plugin_pytorch/quantization/fuse_modules': quantizationModule,
  'horizon_plugin_pytorch/dtype': quantizationModule,
  'horizon_plugin_pytorch/nn': quantizationModule,
  'horizon_plugin_pytorch/nn/quantized': quantizationModule,
};

/** The module specifiers the DSL provides (for the editor's declarations and messages). */
export const DSL_MODULE_NAMES = Object.keys(MODULES);

/** `require` for user code: DSL modules, and './model' from qconfig.ts. */
export function resolveDslModule(specifier: string, fromFile: string, modelExports: Record<string, unknown> | null): unknown {
  if (specifier.startsWith('.')) {
    const local = specifier.replace(/^\.\//, '').replace(/\.(ts|js)$/, '');
    if (local === 'model' && modelExports) return modelExports;
    if (local === 'model') throw new Error(`${fromFile} cannot import './model' (model.ts does not import itself)`);
    throw new Error(`Cannot find module '${specifier}': only './model' can be imported, from qconfig.ts`);
  }
  const key = specifier.replace(/\./g, '/');
  const found = MODULES[key];
  if (!found) throw new Error(`Cannot find module '${specifier}'. The DSL provides: ${DSL_MODULE_NAMES.map((n) => `"${n}"`).join(', ')}`);
  return found;
}
