/** The three CAs (DESIGN.md): user CA (accepted by the gateway), host-access CA (trusted by hosts), host CA. */
export type CaRole = 'user' | 'host-access' | 'host';

export const CA_ROLES: readonly CaRole[] = ['user', 'host-access', 'host'];

/** File name of each role's private key under the key directory (the public key adds `.pub`). */
export const CA_KEY_FILES: Readonly<Record<CaRole, string>> = {
  user: 'user_ca',
  'host-access': 'host_access_ca',
  host: 'host_ca',
};
