export * from './raw-documents';
