export {
  KEY_TYPES,
  ECDSA_CURVES,
  isKeyType,
  isEcdsaType,
  refuseKeyType,
  readKeyFields,
  writeKeyFields,
  makePublicKey,
  parsePublicKeyBlob,
  publicKeyToJwk,
  publicKeyToKeyObject,
  publicKeyFromKeyObject,
  sameKey,
  type KeyType,
  type EcdsaKeyType,
  type PublicKey,
  type PublicKeyFields,
  type Ed25519PublicKey,
  type EcdsaPublicKey,
  type RsaPublicKey,
} from './public-key';
export { fingerprint, keyHash, keyLabel } from './fingerprint';
export { splitKeyLine, parseAuthorizedKey, formatAuthorizedKey, type KeyLine } from './authorized-key';
export {
  signWithKeyObject,
  verifySignature,
  parseSignatureBlob,
  signatureAlgorithmFor,
  type SignatureAlgorithm,
  type ParsedSignature,
} from './signature';
export {
  parsePrivateKey,
  parseOpensshPrivateKey,
  encodeOpensshPrivateKey,
  encodePkcs8Pem,
  type PrivateKeyInfo,
} from './private-key';
export { checkKeyPolicy, DEFAULT_KEY_POLICY, type KeyPolicy } from './policy';
export { generateKeyPair, CA_KEY_KINDS, GENERATED_RSA_BITS, type CaKeyKind } from './generate';
export { MAX_BCRYPT_ROUNDS } from './bcrypt';
