// Task events back to containerd: containerd.services.events.ttrpc.v1.Events/Forward on the
// TTRPC_ADDRESS containerd gives the shim.
//
// Ordering rule: every event goes through this one FIFO queue and one sender that has at most
// one Forward in flight, so containerd receives events in the order the shim enqueued them. The
// task code enqueues in lifecycle order (the state machine guarantees create < start < exit <
// delete for a task), and enqueues a task's exit before it answers any Wait, so a client that
// deletes right after Wait returns can never see /tasks/delete before /tasks/exit.
// The queue is bounded: if containerd stops reading, the oldest events are dropped (and logged)
// rather than growing without limit; the one being sent is out of the queue, so it is never the
// one dropped, and its completion never removes another. close() drains what is queued, within
// a deadline.
import { TtrpcClient } from '../ttrpc/index.ts';
import { Events, timestamp } from './protos.ts';
import type { Logger } from './log.ts';

const SERVICE = 'containerd.services.events.ttrpc.v1.Events';
const MAX_QUEUED = 1024;
const CALL_TIMEOUT_MS = 5000;
const ATTEMPTS = 3;

export type Topic = '/tasks/create' | '/tasks/start' | '/tasks/exit' | '/tasks/delete' | '/tasks/oom';

interface Queued {
  topic: Topic;
  typeName: string;
  payload: Uint8Array;
  at: Date;
}

/** Where events go; the server uses EventPublisher, tests may collect them. */
export interface EventSink {
  publish(topic: Topic, typeName: string, payload: Uint8Array): void;
  close(timeoutMs?: number): Promise<void>;
}

export class EventPublisher implements EventSink {
  readonly #address: string;
  readonly #namespace: string;
  readonly #log: Logger;
  /** Guarded by being touched only from the event loop; #sending marks the one sender. */
  readonly #queue: Queued[] = [];
  #sending: Promise<void> | undefined;
  #client: TtrpcClient | undefined;
  #closed = false;

  readonly #maxQueued: number;

  /** maxQueued: events waiting behind the one being sent (tests make it small). */
  constructor(ttrpcAddress: string, namespace: string, log: Logger, options: { maxQueued?: number } = {}) {
    this.#address = ttrpcAddress.replace(/^unix:\/\//, '');
    this.#namespace = namespace;
    this.#log = log;
    this.#maxQueued = options.maxQueued ?? MAX_QUEUED;
  }

  publish(topic: Topic, typeName: string, payload: Uint8Array): void {
    if (this.#closed) {
      this.#log.warn('event after close dropped', { topic });
      return;
    }
    if (this.#queue.length >= this.#maxQueued) {
      const dropped = this.#queue.shift()!;
      this.#log.error('event queue full: dropped the oldest event', { topic: dropped.topic });
    }
    this.#queue.push({ topic, typeName, payload, at: new Date() });
    this.#sending ??= this.#drain().finally(() => (this.#sending = undefined));
  }

  async close(timeoutMs = 5000): Promise<void> {
    this.#closed = true;
    let timer: NodeJS.Timeout | undefined;
    if (this.#sending) await Promise.race([this.#sending, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    if (this.#queue.length > 0) this.#log.error(`${this.#queue.length} events not delivered before shutdown`);
    this.#client?.destroy();
    this.#client = undefined;
  }

  async #drain(): Promise<void> {
    // Taken out before it is sent: while it is in flight, publish() may drop queued events.
    for (let event = this.#queue.shift(); event; event = this.#queue.shift()) await this.#send(event);
  }

  async #send(event: Queued): Promise<void> {
    const request = Events.ForwardRequest.encode({
      envelope: {
        timestamp: timestamp(event.at),
        namespace: this.#namespace,
        topic: event.topic,
        event: { type_url: event.typeName, value: event.payload },
      },
    });
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        this.#client ??= await TtrpcClient.connect(this.#address, { timeoutMs: CALL_TIMEOUT_MS });
        await this.#client.call(SERVICE, 'Forward', request, { timeoutMs: CALL_TIMEOUT_MS });
        return;
      } catch (error) {
        this.#client?.destroy();
        this.#client = undefined;
        if (attempt === ATTEMPTS) {
          this.#log.error('event not delivered', { topic: event.topic, error: String(error) });
          return;
        }
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  }
}
