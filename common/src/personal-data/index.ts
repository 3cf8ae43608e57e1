export * from './data-key-wrapping';
export * from './master-keys';
export * from './personal-data';
export * from './seal-and-append';
export * from './sealed-text';
export * from './sealed-record';
export * from './rotate-master-key';
export * from './erasures-in-flight';
export { strictBase64url } from './strict-base64url';
