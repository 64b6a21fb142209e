import { useState } from 'react';
import { effectiveGroup, type SettingGroup, type SettingGroups } from '../store/settings';
import { SETTING_FIELDS, formatFieldValue, parseField, type SettingField } from './settingFields';
import { useApp } from './StoreContext';

/** qconfig.ts's values for a group, from the latest good code check. */
function useQconfigValues(group: SettingGroup): Record<string, unknown> {
  return useApp((s) => {
    const analysis = s.analysis.lastGood?.result;
    if (!analysis) return EMPTY;
    if (group === 'float' || group === 'qat' || group === 'calibration') return analysis.qconfigSettings[group] as Record<string, unknown>;
    return EMPTY;
  });
}

const EMPTY: Record<string, unknown> = {};

function Field({ group, field, value, fromQconfig, overridden }: { group: SettingGroup; field: SettingField; value: unknown; fromQconfig: boolean; overridden: boolean }) {
  const updateSettings = useApp((s) => s.updateSettings);
  const [draft, setDraft] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const id = `setting.${group}.${field.key}`;
  const apply = (text: string) => {
    try {
      const parsed = parseField(field, text);
      updateSettings({ [group]: { [field.key]: parsed } } as never);
      setProblem(null);
      setDraft(null);
    } catch (error) {
      setProblem(error instanceof Error ? error.message.replace(/^Settings: /, '') : String(error));
    }
  };
  const source = overridden ? 'set here' : fromQconfig ? 'from qconfig.ts' : 'default';
  return (
    <label className={`field${overridden ? ' field-set' : ''}`} title={`${field.help} (${source})`}>
      <span className="field-label">
        {field.label}
        {fromQconfig && !overridden && <span className="field-source"> · qconfig.ts</span>}
      </span>
      {field.kind === 'select' || field.kind === 'bool' ? (
        <select data-testid={id} value={formatFieldValue(value)} onChange={(e) => apply(e.target.value)}>
          {field.options!.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      ) : (
        <input
          data-testid={id}
          inputMode={field.kind === 'list' ? 'text' : 'decimal'}
          value={draft ?? formatFieldValue(value)}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={() => draft !== null && apply(draft)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') apply((e.target as HTMLInputElement).value);
            if (e.key === 'Escape') setDraft(null);
          }}
        />
      )}
      {overridden && (
        <button type="button" className="field-reset" title="Back to qconfig.ts / the default" onClick={() => apply('')} aria-label={`Reset ${field.label}`}>
          ×
        </button>
      )}
      {problem && (
        <span className="field-problem" role="alert">
          {problem}
        </span>
      )}
    </label>
  );
}

/** The settings of one group: effective values, marked by where they come from; typing sets an override. */
export function SettingsForm({ group }: { group: SettingGroup }) {
  const overrides = useApp((s) => s.settings);
  const fromQconfig = useQconfigValues(group);
  const values = effectiveGroup(group, overrides, fromQconfig as Partial<SettingGroups[typeof group]>) as unknown as Record<string, unknown>;
  const own = overrides[group] as Record<string, unknown>;
  return (
    <div className="settings-form" data-testid={`settings.${group}`}>
      {SETTING_FIELDS[group].map((field) => (
        <Field
          key={field.key}
          group={group}
          field={field}
          value={values[field.key]}
          fromQconfig={fromQconfig[field.key] !== undefined}
          overridden={own[field.key] !== undefined}
        />
      ))}
    </div>
  );
}
