"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.RAW_INDEXES = exports.RAW_COLLECTIONS = void 0;
exports.tokenEventToDocument = tokenEventToDocument;
exports.gpuSampleToDocument = gpuSampleToDocument;
exports.tokenDocumentToEvent = tokenDocumentToEvent;
exports.gpuDocumentToSample = gpuDocumentToSample;
exports.RAW_COLLECTIONS = { tokens: 'token_events', gpu: 'gpu_samples' };
exports.RAW_INDEXES = {
    tokens: [
        { keys: { time: 1, _id: 1 }, name: 'time_id', serves: 'GET /v1/events/tokens: time range, keyset pagination' },
        { keys: { tenant: 1, time: 1, _id: 1 }, name: 'tenant_time_id', serves: 'GET /v1/events/tokens?tenant=' },
    ],
    gpu: [
        { keys: { time: 1, _id: 1 }, name: 'time_id', serves: 'GET /v1/events/gpus: time range, keyset pagination' },
        { keys: { node: 1, time: 1, _id: 1 }, name: 'node_time_id', serves: 'GET /v1/events/gpus?node=' },
    ],
};
function tokenEventToDocument(event, meta) {
    const { eventId, time, ...rest } = event;
    return { _id: eventId, ...rest, time: new Date(time), ...withMeta(meta) };
}
function gpuSampleToDocument(sample, meta) {
    const { eventId, time, ...rest } = sample;
    return { _id: eventId, ...rest, time: new Date(time), ...withMeta(meta) };
}
/** Back to the contract shape (what the API returns): storage metadata stays internal. */
function tokenDocumentToEvent(doc) {
    const { _id, time, ingestedAt: _ingestedAt, storedAt: _storedAt, ...rest } = doc;
    return { eventId: _id, time: time.toISOString(), ...rest };
}
function gpuDocumentToSample(doc) {
    const { _id, time, ingestedAt: _ingestedAt, storedAt: _storedAt, ...rest } = doc;
    return { eventId: _id, time: time.toISOString(), ...rest };
}
function withMeta(meta) {
    return meta.ingestedAt === undefined ? { storedAt: meta.storedAt } : { ingestedAt: meta.ingestedAt, storedAt: meta.storedAt };
}
//# sourceMappingURL=raw-documents.js.map