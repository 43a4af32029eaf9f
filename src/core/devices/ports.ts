/**
 * Port listing for the settings screen. `SerialPort.list()` spawns `udevadm` on Linux and the spawn
 * error, when it is missing, is thrown from an event nobody can catch: the process dies. So the PATH is
 * checked first and a missing tool becomes a reason string. Configured paths are always offered
 * because ptys and some adapters never appear in the OS list.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SerialPort } from 'serialport';
import type { PortList, SerialPortEntry } from '../../shared/devices';

export interface OsPortInfo {
  path: string;
  manufacturer?: string | undefined;
  serialNumber?: string | undefined;
  vendorId?: string | undefined;
  productId?: string | undefined;
}

export interface ListPortsDeps {
  platform?: NodeJS.Platform;
  /** The PATH to search for `udevadm`; default process.env.PATH. */
  pathEnv?: string;
  /** The OS list; default SerialPort.list. */
  list?: () => Promise<OsPortInfo[]>;
  exists?: (file: string) => boolean;
  isExecutable?: (file: string) => boolean;
}

function defaultIsExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function defaultExists(file: string): boolean {
  try {
    fs.statSync(file);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` on `pathEnv` (colon/semicolon separated), or null. */
export function findOnPath(name: string, pathEnv: string = process.env.PATH ?? '', isExecutable = defaultIsExecutable): string | null {
  for (const dir of pathEnv.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

/**
 * OS ports plus the configured paths (marked `configured`, with `present` from the file system; COM
 * names cannot be checked and count as present). Never rejects: a missing `udevadm` or a failing list
 * gives the configured entries and a `reason`.
 */
export async function listPorts(configuredPaths: readonly string[], deps: ListPortsDeps = {}): Promise<PortList> {
  const platform = deps.platform ?? process.platform;
  const exists = deps.exists ?? defaultExists;
  const list: () => Promise<OsPortInfo[]> = deps.list ?? (() => SerialPort.list() as Promise<OsPortInfo[]>);
  let reason: string | null = null;
  let system: OsPortInfo[] = [];
  if (platform === 'linux' && findOnPath('udevadm', deps.pathEnv ?? process.env.PATH ?? '', deps.isExecutable ?? defaultIsExecutable) === null) {
    reason = 'udevadm is not installed (Debian package "udev"): only configured ports are listed';
  } else {
    try {
      system = await list();
    } catch (err) {
      reason = `the port list failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  const entries: SerialPortEntry[] = system.map((p) => {
    const entry: SerialPortEntry = { path: p.path, source: 'system', present: true };
    if (p.manufacturer !== undefined) entry.manufacturer = p.manufacturer;
    if (p.serialNumber !== undefined) entry.serialNumber = p.serialNumber;
    if (p.vendorId !== undefined) entry.vendorId = p.vendorId;
    if (p.productId !== undefined) entry.productId = p.productId;
    return entry;
  });
  const seen = new Set(entries.map((e) => e.path));
  for (const configured of configuredPaths) {
    if (configured === '' || seen.has(configured)) continue;
    seen.add(configured);
    const checkable = configured.startsWith('/');
    entries.push({ path: configured, source: 'configured', present: checkable ? exists(configured) : true });
  }
  return { ports: entries, reason };
}
