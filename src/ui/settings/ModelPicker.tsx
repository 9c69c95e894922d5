import { useExperiment } from '../../app';
import { ARCHITECTURE_TITLES, ARCHITECTURES } from '../../schema/architecture';
import { modelColor } from '../charts/model-colors';
import { useTheme } from '../theme';

/** The architecture toggles: one checkbox per architecture, named by its title. */
export function ModelPicker({ disabled }: { disabled?: boolean }) {
  const archs = useExperiment((s) => s.draft.archs);
  const toggle = useExperiment((s) => s.toggleArch);
  const theme = useTheme();
  return (
    <fieldset className="model-picker" disabled={disabled}>
      <legend>Architectures</legend>
      <div className="chips">
        {ARCHITECTURES.map((arch) => (
          <label key={arch} className="chip">
            <input
              type="checkbox"
              checked={archs.includes(arch)}
              onChange={(e) => toggle(arch, e.currentTarget.checked)}
            />
            <span className="swatch" style={{ background: modelColor(theme, arch) }} aria-hidden="true" />
            {ARCHITECTURE_TITLES[arch]}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
