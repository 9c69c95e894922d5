import { useRecording } from '../../app/recordings/replay-player-instance';
import { isLocked } from '../../app/share/classroom';
import { useShare } from '../../app/share/share';
import { DevicePanel } from '../device/DevicePanel';
import { SeedNotice } from '../lesson/SeedNotice';
import { Shown } from '../Shown';
import { ModelPicker } from '../settings/ModelPicker';
import { SettingsPanel } from '../settings/SettingsPanel';
import { ShareControls } from '../share/ShareControls';
import { Controls } from './Controls';
import { DeviceNote } from './DeviceNote';
import { Diagnostics } from './Diagnostics';
import { MemoryNote } from './MemoryNote';
import { Notices, StatusLines } from './StatusLines';

/** Choose the models, set them going, see where each one is. */
export function TrainingPanel() {
  const modelsLocked = useShare((s) => isLocked(s.classroom, 'models'));
  const recording = useRecording();
  return (
    <section className="panel training-panel" aria-labelledby="training-title">
      <h2 id="training-title">Training</h2>
      <DeviceNote />
      <ModelPicker disabled={modelsLocked || recording} />
      <Controls />
      <DevicePanel />
      <MemoryNote />
      <ShareControls />
      {!recording && (
        <Shown panel="settings">
          <SettingsPanel />
        </Shown>
      )}
      <Notices />
      <SeedNotice />
      <StatusLines />
      <Shown panel="diagnostics">
        <Diagnostics />
      </Shown>
    </section>
  );
}
