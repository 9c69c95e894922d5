import { useStore } from 'zustand';
import { themeStore } from './theme';

/** Light or the dark projector theme (large type, high contrast); the choice is remembered. */
export function ThemeSwitch() {
  const theme = useStore(themeStore, (s) => s.theme);
  const setTheme = useStore(themeStore, (s) => s.setTheme);
  const projector = theme !== 'light';
  return (
    <button
      type="button"
      className="quiet theme-switch"
      aria-pressed={projector}
      title="Dark, with large type and high contrast, for projecting in a classroom"
      onClick={() => setTheme(projector ? 'light' : 'dark')}
    >
      Projector theme
    </button>
  );
}
