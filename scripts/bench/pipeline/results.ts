// The shape of bench/results/pipeline-*.json (issue 7): everything `npm run bench` measured in one
// run, next to the limits measured on the same servers in the same run.

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  java: string;
  kafka: string;
  database: string;
}

export interface LatencyLevel {
  /** Share of the sustained rate this level ran at (0.25, 0.5, 0.9). */
  fraction: number;
  /** Events per second offered at this level. */
  ratePerSec: number;
  /**
   * Probe events timed from sending the request (so the producer's time to the 202 is
   * included) to being readable through the query API; probes that never became readable count
   * at the timeout.
   */
  samples: number;
  /** Probes not readable within the timeout (30 s). */
  timedOut: number;
  /** Probes not sent because 4 were still out (the pipeline was behind). */
  skipped: number;
  p50: number;
  p99: number;
  max: number;
}

export interface ScalingPoint {
  processors: number;
  /** Events stored per second while the instances drained the same preloaded backlog. */
  storedPerSec: number;
}

export interface ServiceUsage {
  /** CPU time (user + system) the service used per 10,000 events it handled. */
  cpuMsPer10k: number;
  /** Highest resident set size of the service process during the run (VmHWM). */
  peakRssMB: number;
}

export interface PipelineBenchResults {
  takenAt: string;
  durationSeconds: number;
  machine: MachineInfo;
  /** What the runs used: sizes the ceilings were measured with, so the ratios compare like with like. */
  setup: {
    eventBytes: number;
    partitions: number;
    /** Events per producer request (load generator batch). */
    requestBatch: number;
    /** Mean events per processor batch, measured in the drain run; the DB ceiling uses it. */
    processorBatch: number;
    ceilingEvents: number;
    /** Events preloaded for the processors to drain (1, 2 and 3 instances, each from the start). */
    backlogEvents: number;
    ingestSeconds: number;
    latencySeconds: number;
    /** The processor's NODE_OPTIONS (the heap cap a deployment sets; the others keep V8's defaults). */
    processorNodeOptions: string;
  };
  ceilings: {
    kafkaProducerPerSec: number;
    kafkaConsumerPerSec: number;
    /**
     * The yardstick: `insertMany` of the raw documents with every field a field, into a collection
     * with the listing indexes (RAW_INDEXES) — one document per event, as stored before the packed
     * layout and as the mongodb dialect stores them.
     */
    dbBulkInsertPerSec: number;
    /** The same documents as the database's dialect stores them (packed and unindexed on FerretDB). */
    dbBulkInsertAsStoredPerSec?: number;
  };
  tokenmeter: {
    /** Events per second the producer acknowledged (202) with the load generator flat out. */
    ingestPerSec: number;
    /** Events per second one processor stored (raw + series + rollups) draining a backlog alone. */
    storedPerSec: number;
    /** Events per second stored while the producer took 1.5× that at the same time (the slower side). */
    sustainedPerSec: number;
  };
  ratios: {
    storedVsDbCeiling: number;
    /** Stored rate over `dbBulkInsertAsStoredPerSec`: what the rest of a batch costs beside its raw insert. */
    storedVsDbAsStored?: number;
    ingestVsKafkaProducer: number;
    sustainedVsKafkaProducer: number;
  };
  latencyMs: LatencyLevel[];
  cpuMsPer10k: { producer: number; processor: number };
  peakRssMB: { producer: number; processor: number };
  scaling: ScalingPoint[];
  targets: {
    storedVsDbCeiling: { target: number; met: boolean };
    ingestVsKafkaProducer: { target: number; met: boolean };
    e2eP99AtHalfRateMs: { target: number; actual: number; met: boolean };
    processorPeakRssMB: { target: number; met: boolean };
  };
}
