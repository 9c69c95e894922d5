import { useSyncExternalStore } from 'react';
import { useLessonEstimate } from '../../app/device/lesson';
import { slowDeviceNote } from '../../app/race/device';
import { ReplayPanel } from '../recordings/ReplayPanel';

const subscribe = (onChange: () => void) => {
  window.addEventListener('resize', onChange);
  return () => window.removeEventListener('resize', onChange);
};

const note = () =>
  slowDeviceNote({
    viewportWidth: window.innerWidth,
    hasWebGpu: 'gpu' in navigator,
    cores: navigator.hardwareConcurrency ?? 0,
  });

/**
 * On a phone or without WebGPU: training still works, and this says it will be slow, with "Watch a
 * recorded run" right in the note. Elsewhere the recorded runs are offered quietly.
 */
export function DeviceNote() {
  const text = useSyncExternalStore(subscribe, note, () => null);
  // a lesson over 10 minutes here: the recorded run is offered prominently, on every layout
  const long = useLessonEstimate()?.long ?? false;
  if (!text) return <ReplayPanel prominent={long} />;
  return (
    <div className="device-note" role="note">
      <p>{text}</p>
      <ReplayPanel prominent />
    </div>
  );
}
