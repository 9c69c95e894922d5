/**
 * One colour per architecture (ARCHITECTURE_INFO), the same in every chart and status line. Chosen
 * apart from the first baseline colours of theme.series (models solid and thick, baselines dashed).
 */
import { ARCHITECTURE_INFO, type Architecture } from '../../schema/architecture';
import type { Theme } from '../theme';

export function modelColor(theme: Theme, arch: Architecture): string {
  const color = ARCHITECTURE_INFO[arch]?.color;
  return color ? (theme.dark ? color.dark : color.light) : theme.text;
}

/** The architecture of a model curve key 'model:<index>:<arch>' (null for baselines). */
export function archOfCurveKey(key: string): Architecture | null {
  const m = /^model:\d+:(.+)$/.exec(key);
  return m ? (m[1] as Architecture) : null;
}
