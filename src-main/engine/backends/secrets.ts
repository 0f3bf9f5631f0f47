/**
 * How connection secrets (Redis URL with credentials, password) are kept at rest. The
 * desktop app passes a box built on Electron's safeStorage (Keychain, DPAPI, libsecret /
 * kwallet); plain Node (`taskdeck serve`) has no OS keystore API, so it uses
 * `plainFileSecrets`, which stores the text as is and relies on the file being readable
 * only by its owner (0600 in the 0700 data directory) — said plainly in every binding's
 * `secretStorage` so nobody mistakes it for encryption.
 */
export interface SecretBox {
  /** Shown to the user: "safeStorage (gnome_libsecret)", "file (0600), not encrypted". */
  readonly description: string
  seal(plain: string): string
  open(sealed: string): string
}

export const plainFileSecrets: SecretBox = {
  description: 'file (0600), not encrypted: no OS keystore in plain Node',
  seal: (plain) => Buffer.from(plain, 'utf8').toString('base64'),
  open: (sealed) => Buffer.from(sealed, 'base64').toString('utf8'),
}

/** The part of Electron's safeStorage a box needs; the desktop adapter passes the real module. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean
  encryptString(plain: string): Buffer
  decryptString(encrypted: Buffer): string
  getSelectedStorageBackend?(): string
}

/**
 * A box on Electron's safeStorage, or null when encryption is unavailable. On Linux a
 * `basic_text` backend means "obfuscated with a hard-coded key": that is no better than
 * the plain file and is reported as such.
 */
export function safeStorageSecrets(safeStorage: SafeStorageLike): SecretBox | null {
  if (!safeStorage.isEncryptionAvailable()) return null
  const backend = safeStorage.getSelectedStorageBackend?.() ?? 'os keystore'
  return {
    description: backend === 'basic_text' ? 'safeStorage basic_text: obfuscated only, not safely encrypted' : `safeStorage (${backend})`,
    seal: (plain) => safeStorage.encryptString(plain).toString('base64'),
    open: (sealed) => safeStorage.decryptString(Buffer.from(sealed, 'base64')),
  }
}
