/**
 * The quick start's demo host: a local sshd on loopback that trusts the host-access CA,
 * for `breakglass serve --dev` (see docs/ui.md).
 */
export { startDemoHost, DEFAULT_SSHD_PATH, type DemoHost, type DemoHostDeps } from './demo-host';
export { demoSshdConfig, isLoopback, type DemoSshdSettings } from './sshd-config';
