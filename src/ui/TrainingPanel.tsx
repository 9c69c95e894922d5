import { Controls } from './Controls';
import { Diagnostics } from './Diagnostics';
import { ModelPicker } from './ModelPicker';
import { SettingsPanel } from './SettingsPanel';
import { Notices, StatusLines } from './StatusLines';

/** Choose the models, set them going, see where each one is. */
export function TrainingPanel() {
  return (
    <section className="panel training-panel" aria-labelledby="training-title">
      <h2 id="training-title">Training</h2>
      <ModelPicker />
      <Controls />
      <SettingsPanel />
      <Notices />
      <StatusLines />
      <Diagnostics />
    </section>
  );
}
