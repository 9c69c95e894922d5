/**
 * vitest global setup: runs in the main vitest process before the test workers (child processes)
 * start, so the variables below are in their environment from their first instruction (the
 * dynamic linker reads LD_LIBRARY_PATH only at process start). Without a GPU, Dawn then finds
 * Chromium's Vulkan loader and SwiftShader driver. Existing settings are kept.
 */
import { existsSync } from 'node:fs';

const CHROMIUM_LIB = '/usr/lib/chromium';
const SWIFTSHADER_ICD = `${CHROMIUM_LIB}/vk_swiftshader_icd.json`;

export default function setup(): void {
  if (!existsSync(SWIFTSHADER_ICD)) return;
  const ld = process.env.LD_LIBRARY_PATH ?? '';
  if (!ld.split(':').includes(CHROMIUM_LIB)) {
    process.env.LD_LIBRARY_PATH = ld ? `${ld}:${CHROMIUM_LIB}` : CHROMIUM_LIB;
  }
  if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
}
