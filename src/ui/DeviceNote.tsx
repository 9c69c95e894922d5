import { useSyncExternalStore } from 'react';
import { slowDeviceNote } from '../state/device';

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

/** On a phone or without WebGPU: training still works, and this says it will be slow. */
export function DeviceNote() {
  const text = useSyncExternalStore(subscribe, note, () => null);
  if (!text) return null;
  return (
    <p className="device-note" role="note">
      {text}
    </p>
  );
}
