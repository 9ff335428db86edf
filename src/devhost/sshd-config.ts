/** Paths and settings of the demo host's sshd. */
export interface DemoSshdSettings {
  readonly address: string;
  readonly port: number;
  readonly hostKey: string;
  readonly hostCertificate: string;
  readonly trustedUserCaKeys: string;
  readonly revokedKeys: string;
  readonly pidFile: string;
}

/**
 * The demo host's sshd_config (pure): loopback only, certificates from the host-access
 * CA only (no authorized_keys, no passwords), the KRL as RevokedKeys, a host
 * certificate from the host CA, sftp inside the server.
 */
export function demoSshdConfig(s: DemoSshdSettings): string {
  return [
    '# Breakglass quick-start demo host (generated; removed on shutdown)',
    `ListenAddress ${s.address}`,
    `Port ${s.port}`,
    `HostKey ${s.hostKey}`,
    `HostCertificate ${s.hostCertificate}`,
    `TrustedUserCAKeys ${s.trustedUserCaKeys}`,
    `RevokedKeys ${s.revokedKeys}`,
    `PidFile ${s.pidFile}`,
    'AuthorizedKeysFile none',
    'AuthorizedPrincipalsFile none',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'HostbasedAuthentication no',
    'PermitRootLogin prohibit-password',
    'StrictModes no',
    'UsePAM no',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'AllowAgentForwarding no',
    'X11Forwarding no',
    'LogLevel VERBOSE',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

/** Loopback addresses the demo host may listen on (it is never exposed). */
export function isLoopback(address: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) || address === '::1' || address === 'localhost';
}
