/*
 * Shared pieces of the C load drivers: command-line options, clocks, the record payload layout, a
 * log-linear latency histogram and the JSON result line. Header-only so each driver is one `cc` call.
 *
 * Payload layout (every driver, every peer): bytes 0..7 the intended send time in CLOCK_MONOTONIC
 * nanoseconds, bytes 8..15 the record's sequence number, then compressible ASCII filler. The consumer runs
 * in the same process as the producers, so one monotonic clock serves both ends.
 */
#ifndef SAMSA_BENCH_COMMON_H
#define SAMSA_BENCH_COMMON_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* ---- options: "--name value" pairs ---- */
typedef struct {
  const char *bootstrap;
  const char *topic;
  long long records;   /* total across producers */
  int size;            /* value bytes per record */
  int partitions;      /* partitions / streams / subjects */
  int producers;       /* producer threads, each with its own client */
  double rate;         /* total records/s; 0 = flat out */
  int produce;         /* 1 = run producers */
  int consume;         /* 1 = run the consumer */
  int create;          /* 1 = create the topic/stream first */
  const char *acks;    /* "1" or "all" (Kafka only) */
  const char *compression;
  int linger_ms;
  double timeout_s;    /* hard bound on the whole run */
  int settle_ms;       /* pause between the consumer's assignment and the first send */
  const char *props[32]; /* "--property key=value": client settings passed through (librdkafka's names) */
  int nprops;
} bench_opts;

static void bench_usage_exit(const char *msg) {
  fprintf(stderr, "driver: %s\n", msg);
  exit(2);
}

static void bench_parse(bench_opts *o, int argc, char **argv) {
  memset(o, 0, sizeof *o);
  o->topic = "bench";
  o->records = 1000;
  o->size = 100;
  o->partitions = 1;
  o->producers = 1;
  o->produce = 1;
  o->consume = 1;
  o->acks = "1";
  o->compression = "none";
  o->linger_ms = 5;
  o->timeout_s = 120;
  o->settle_ms = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    if (!strcmp(k, "--bootstrap")) o->bootstrap = v;
    else if (!strcmp(k, "--topic")) o->topic = v;
    else if (!strcmp(k, "--records")) o->records = atoll(v);
    else if (!strcmp(k, "--size")) o->size = atoi(v);
    else if (!strcmp(k, "--partitions")) o->partitions = atoi(v);
    else if (!strcmp(k, "--producers")) o->producers = atoi(v);
    else if (!strcmp(k, "--rate")) o->rate = atof(v);
    else if (!strcmp(k, "--produce")) o->produce = atoi(v);
    else if (!strcmp(k, "--consume")) o->consume = atoi(v);
    else if (!strcmp(k, "--create")) o->create = atoi(v);
    else if (!strcmp(k, "--acks")) o->acks = v;
    else if (!strcmp(k, "--compression")) o->compression = v;
    else if (!strcmp(k, "--linger-ms")) o->linger_ms = atoi(v);
    else if (!strcmp(k, "--timeout-s")) o->timeout_s = atof(v);
    else if (!strcmp(k, "--settle-ms")) o->settle_ms = atoi(v);
    else if (!strcmp(k, "--property")) {
      if (o->nprops == 32 || !strchr(v, '=')) bench_usage_exit("--property takes key=value, at most 32 times");
      o->props[o->nprops++] = v;
    }
    else bench_usage_exit(k);
  }
  if (!o->bootstrap) bench_usage_exit("--bootstrap is required");
  if (o->size < 16) bench_usage_exit("--size must be at least 16");
  if (o->producers < 1 || o->partitions < 1) bench_usage_exit("--producers and --partitions must be >= 1");
}

/* ---- clocks ---- */
static inline uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void sleep_until_ns(uint64_t t) {
  struct timespec ts = {(time_t)(t / 1000000000ull), (long)(t % 1000000000ull)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
  }
}

/* ---- payload ---- */
static void payload_fill(char *buf, int size) {
  /* Text-like filler so lz4/zstd have something realistic to do (roughly 3-5x compressible). */
  static const char words[] = "samsa kafka record batch offset partition leader replica segment index ";
  for (int i = 16; i < size; i++) buf[i] = words[(i * 7 + i / 13) % (sizeof words - 1)];
}

static inline void payload_stamp(char *buf, uint64_t t_ns, uint64_t seq) {
  memcpy(buf, &t_ns, 8);
  memcpy(buf + 8, &seq, 8);
}

static inline uint64_t payload_time(const void *buf) {
  uint64_t t;
  memcpy(&t, buf, 8);
  return t;
}

/* ---- fixed-rate pacing: intended send time of a producer's i-th record (0 when flat out) ---- */
typedef struct {
  uint64_t start_ns;
  double interval_ns; /* 0 = flat out */
} pacer;

static inline uint64_t pacer_intended(const pacer *p, long long i) {
  return p->start_ns + (uint64_t)(p->interval_ns * (double)i);
}

/*
 * Waits until record i is due and returns the time to stamp it with. Fixed rate stamps the *intended*
 * time, so a stalled send is charged to latency (no coordinated omission); flat out stamps "now".
 */
static inline uint64_t pacer_wait(const pacer *p, long long i) {
  if (p->interval_ns <= 0) return now_ns();
  uint64_t due = pacer_intended(p, i);
  uint64_t now = now_ns();
  if (due > now + 200000) sleep_until_ns(due - 100000);
  return due;
}

/* ---- log-linear histogram of microseconds: exact below 64, then 64 sub-buckets per power of two ---- */
#define HIST_SUB 64
#define HIST_MAG 40
#define HIST_LEN (HIST_SUB + HIST_MAG * HIST_SUB)
typedef struct {
  uint64_t counts[HIST_LEN];
  uint64_t total;
  uint64_t max;
  double sum;
} histogram;

static inline int hist_index(uint64_t v) {
  if (v < HIST_SUB) return (int)v;
  int m = 63 - __builtin_clzll(v); /* >= 6 */
  int s = m - 6;
  int idx = HIST_SUB + s * HIST_SUB + (int)((v >> s) - HIST_SUB);
  return idx < HIST_LEN ? idx : HIST_LEN - 1;
}

static inline uint64_t hist_upper(int idx) {
  if (idx < HIST_SUB) return (uint64_t)idx;
  int s = (idx - HIST_SUB) / HIST_SUB;
  uint64_t sub = (uint64_t)((idx - HIST_SUB) % HIST_SUB) + HIST_SUB;
  return ((sub + 1) << s) - 1;
}

static inline void hist_record(histogram *h, uint64_t us) {
  h->counts[hist_index(us)]++;
  h->total++;
  h->sum += (double)us;
  if (us > h->max) h->max = us;
}

static double hist_percentile_ms(const histogram *h, double pct) {
  if (h->total == 0) return 0;
  uint64_t want = (uint64_t)((pct / 100.0) * (double)h->total + 0.5);
  if (want < 1) want = 1;
  uint64_t seen = 0;
  for (int i = 0; i < HIST_LEN; i++) {
    seen += h->counts[i];
    if (seen >= want) {
      uint64_t up = hist_upper(i);
      return (double)(up < h->max ? up : h->max) / 1000.0;
    }
  }
  return (double)h->max / 1000.0;
}

/* ---- shared run state ---- */
typedef struct {
  bench_opts o;
  uint64_t start_ns;
  atomic_llong produced;   /* handed to the client */
  atomic_llong acked;      /* acknowledged by the server */
  atomic_llong errors;
  atomic_ullong last_ack_ns;
  long long consumed;      /* consumer thread only */
  uint64_t first_consume_ns, last_consume_ns, consume_start_ns;
  histogram hist;          /* consumer thread only */
  atomic_int stop;         /* 1 = finish, 2 = timed out */
  atomic_int ready;        /* consumer has its assignment */
  atomic_int running;      /* threads still running */
  atomic_int producers_left;
  char error[256];
} bench_run;

/* Keeps the first error, with characters that would break the JSON line replaced. */
static void bench_error(bench_run *r, const char *msg) {
  if (r->error[0]) return;
  snprintf(r->error, sizeof r->error, "%s", msg);
  for (char *c = r->error; *c; c++)
    if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20) *c = '\'';
}

static inline void bench_acked(bench_run *r, int ok) {
  atomic_fetch_add(ok ? &r->acked : &r->errors, 1);
  uint64_t now = now_ns(), prev = atomic_load(&r->last_ack_ns);
  while (now > prev && !atomic_compare_exchange_weak(&r->last_ack_ns, &prev, now)) {
  }
}

static inline int bench_timed_out(const bench_run *r) {
  return now_ns() - r->start_ns > (uint64_t)(r->o.timeout_s * 1e9);
}

static inline void bench_consumed(bench_run *r, const void *value, size_t len) {
  uint64_t now = now_ns();
  if (r->consumed == 0) r->first_consume_ns = now;
  r->last_consume_ns = now;
  r->consumed++;
  if (len >= 16) {
    uint64_t sent = payload_time(value);
    hist_record(&r->hist, now > sent ? (now - sent) / 1000 : 0);
  }
}

/* The consumer is done when it has every record, or every producer is done and every acked record arrived. */
static inline int bench_consumer_done(bench_run *r) {
  if (atomic_load(&r->stop)) return 1;
  if (r->consumed >= r->o.records) return 1;
  return r->o.produce && atomic_load(&r->producers_left) == 0 && r->consumed >= atomic_load(&r->acked);
}

static long long bench_share(const bench_opts *o, int i) {
  long long n = o->records / o->producers;
  return i == 0 ? n + o->records % o->producers : n;
}

static void bench_print_json(bench_run *r) {
  const bench_opts *o = &r->o;
  double produce_s = 0, consume_s = 0;
  uint64_t last_ack = atomic_load(&r->last_ack_ns);
  if (o->produce && last_ack > r->start_ns) produce_s = (double)(last_ack - r->start_ns) / 1e9;
  if (o->consume && r->last_consume_ns > r->consume_start_ns)
    consume_s = (double)(r->last_consume_ns - r->consume_start_ns) / 1e9;
  long long acked = atomic_load(&r->acked);
  printf("{\"records\":%lld,\"size\":%d,\"partitions\":%d,\"producers\":%d,\"rate\":%.1f,", o->records, o->size,
         o->partitions, o->producers, o->rate);
  printf("\"produce\":{\"acked\":%lld,\"errors\":%lld,\"seconds\":%.6f,\"recordsPerSec\":%.1f},", acked,
         (long long)atomic_load(&r->errors), produce_s, produce_s > 0 ? (double)acked / produce_s : 0.0);
  printf("\"consume\":{\"records\":%lld,\"seconds\":%.6f,\"recordsPerSec\":%.1f},", r->consumed, consume_s,
         consume_s > 0 ? (double)r->consumed / consume_s : 0.0);
  printf("\"latencyMs\":{\"count\":%llu,\"p50\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f,\"mean\":%.3f},",
         (unsigned long long)r->hist.total, hist_percentile_ms(&r->hist, 50), hist_percentile_ms(&r->hist, 99),
         hist_percentile_ms(&r->hist, 99.9), (double)r->hist.max / 1000.0,
         r->hist.total ? r->hist.sum / (double)r->hist.total / 1000.0 : 0.0);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("\"driverCpuSeconds\":%.3f,\"wallSeconds\":%.3f,",
         (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
         (double)(now_ns() - r->start_ns) / 1e9);
  printf("\"timedOut\":%s,\"error\":\"%s\"}\n", atomic_load(&r->stop) == 2 ? "true" : "false", r->error);
  fflush(stdout);
}

typedef struct {
  bench_run *run;
  int index;
} bench_thread_arg;

typedef void *(*bench_thread_fn)(void *);

/*
 * The run: the consumer starts first and gets its assignment (plus --settle-ms, so fixed-rate runs do
 * not charge connection setup to latency), then the producers start; a watchdog enforces --timeout-s.
 */
static void bench_execute(bench_run *r, bench_thread_fn producer, bench_thread_fn consumer) {
  static bench_thread_arg args[257];
  pthread_t threads[257];
  int n = 0;
  const bench_opts *o = &r->o;
  if (o->producers > 256) bench_usage_exit("at most 256 producers");
  r->start_ns = now_ns();
  atomic_store(&r->producers_left, o->produce ? o->producers : 0);
  if (o->consume) {
    args[n] = (bench_thread_arg){r, 0};
    atomic_fetch_add(&r->running, 1);
    pthread_create(&threads[n], NULL, consumer, &args[n]);
    n++;
    while (!atomic_load(&r->ready) && !bench_timed_out(r) && atomic_load(&r->running) > 0) sleep_until_ns(now_ns() + 10000000);
    if (o->produce) sleep_until_ns(now_ns() + (uint64_t)o->settle_ms * 1000000ull);
  }
  r->start_ns = now_ns();
  if (o->produce) {
    if (o->consume) r->consume_start_ns = r->start_ns;
    for (int i = 0; i < o->producers; i++) {
      args[n] = (bench_thread_arg){r, i};
      atomic_fetch_add(&r->running, 1);
      pthread_create(&threads[n], NULL, producer, &args[n]);
      n++;
    }
  }
  while (atomic_load(&r->running) > 0) {
    if (bench_timed_out(r)) {
      atomic_store(&r->stop, 2);
      bench_error(r, "timed out");
      break;
    }
    sleep_until_ns(now_ns() + 20000000);
  }
  for (int i = 0; i < n; i++) pthread_join(threads[i], NULL);
  bench_print_json(r);
}

#endif
