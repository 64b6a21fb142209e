import { stageView } from '../store/pipeline';
import { SensitivityPanel } from './SensitivityPanel';
import { useApp } from './StoreContext';

/** The sensitivity stage's report (issue 8's panel), or how to get one. */
export function SensitivityView() {
  const result = useApp((s) => s.stages.sensitivity.result);
  const stale = useApp((s) => stageView(s, 'sensitivity') === 'stale');
  if (!result) {
    return <p className="muted empty">Run Sensitivity (after calibration) to rank the layers quantization hurts most, and for a mixed-precision choice.</p>;
  }
  return (
    <div data-testid="sensitivity">
      {stale && <p className="stale-note small">From before your last change of the code or settings.</p>}
      <SensitivityPanel report={result.report} />
    </div>
  );
}
