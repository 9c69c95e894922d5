import { useSyncExternalStore } from 'react';
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
  if (!text) return <ReplayPanel prominent={false} />;
  return (
    <div className="device-note" role="note">
      <p>{text}</p>
      <ReplayPanel prominent />
    </div>
  );
}
