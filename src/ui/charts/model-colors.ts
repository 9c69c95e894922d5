/**
 * One colour per architecture, the same in every chart and status line. Chosen apart from the
 * first baseline colours of theme.series (models are drawn solid and thick, baselines dashed).
 */
import type { Architecture } from '../../schema/architecture';
import type { Theme } from '../theme';

const LIGHT: Record<Architecture, string> = {
  transformer: '#b8002e',
  mamba: '#5b4cc4',
  mambaformer: '#00838f',
  hybrid: '#7a5a00',
  s4: '#4a5560',
  's4-mamba': '#a8407f',
};

const DARK: Record<Architecture, string> = {
  transformer: '#ff7b8a',
  mamba: '#a99bff',
  mambaformer: '#5fd7e4',
  hybrid: '#e8d44d',
  s4: '#c3cad2',
  's4-mamba': '#e08cc0',
};

export function modelColor(theme: Theme, arch: Architecture): string {
  return (theme.dark ? DARK : LIGHT)[arch] ?? theme.text;
}

/** The architecture of a model curve key 'model:<index>:<arch>' (null for baselines). */
export function archOfCurveKey(key: string): Architecture | null {
  const m = /^model:\d+:(.+)$/.exec(key);
  return m ? (m[1] as Architecture) : null;
}
