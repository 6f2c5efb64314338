export * from './wallet-client.js';
