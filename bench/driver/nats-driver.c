/*
 * NATS JetStream load driver on the NATS C client (Debian's libnats-dev): asynchronous JetStream
 * publishes of N records of S bytes, spread round-robin over P subjects of one file-backed stream (JetStream's
 * nearest thing to partitions), at a fixed rate or flat out, while one push consumer (ack policy none)
 * reads the whole stream and records end-to-end latency. Same JSON as the Kafka driver. --bootstrap is
 * host:port.
 */
#include <nats/nats.h>

#include "bench-common.h"

static bench_run R;
static char url[200];

static natsConnection *connect_nats(void) {
  natsConnection *nc = NULL;
  natsStatus s = natsConnection_ConnectTo(&nc, url);
  if (s != NATS_OK) bench_usage_exit(natsStatus_GetText(s));
  return nc;
}

static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure) {
  (void)js;
  (void)pa;
  (void)closure;
  if (pae) bench_error(&R, pae->ErrText ? pae->ErrText : natsStatus_GetText(pae->Err));
  bench_acked(&R, pae == NULL);
  natsMsg_Destroy(msg);
}

static jsCtx *jetstream(natsConnection *nc) {
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.MaxPending = 4096;
  jo.PublishAsync.StallWait = 10000;
  jo.PublishAsync.AckHandler = on_ack;
  jsCtx *js = NULL;
  natsStatus s = natsConnection_JetStream(&js, nc, &jo);
  if (s != NATS_OK) bench_usage_exit(natsStatus_GetText(s));
  return js;
}

static void create_stream(void) {
  natsConnection *nc = connect_nats();
  jsCtx *js = jetstream(nc);
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  char subject[160];
  snprintf(subject, sizeof subject, "%s.>", R.o.topic);
  const char *subjects[] = {subject};
  cfg.Name = R.o.topic;
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.Storage = js_FileStorage;
  jsStreamInfo *si = NULL;
  jsErrCode jerr = 0;
  natsStatus s = js_AddStream(&si, js, &cfg, NULL, &jerr);
  if (s != NATS_OK) bench_usage_exit(nats_GetLastError(NULL));
  jsStreamInfo_Destroy(si);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
}

static void *producer_main(void *arg) {
  bench_thread_arg *a = arg;
  natsConnection *nc = connect_nats();
  jsCtx *js = jetstream(nc);
  long long n = bench_share(&R.o, a->index);
  pacer p = {R.start_ns, R.o.rate > 0 ? 1e9 / (R.o.rate / R.o.producers) : 0};
  char *value = malloc((size_t)R.o.size);
  char subject[160];
  payload_fill(value, R.o.size);
  for (long long i = 0; i < n && !atomic_load(&R.stop); i++) {
    payload_stamp(value, pacer_wait(&p, i), (uint64_t)i);
    snprintf(subject, sizeof subject, "%s.%lld", R.o.topic, (i + a->index) % R.o.partitions);
    natsStatus s = js_PublishAsync(js, subject, value, R.o.size, NULL);
    if (s != NATS_OK) {
      bench_error(&R, natsStatus_GetText(s));
      atomic_store(&R.stop, 1);
      break;
    }
    atomic_fetch_add(&R.produced, 1);
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = (int64_t)(R.o.timeout_s * 1000);
  js_PublishAsyncComplete(js, &po);
  free(value);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  atomic_fetch_sub(&R.producers_left, 1);
  atomic_fetch_sub(&R.running, 1);
  return NULL;
}

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure) {
  (void)nc;
  (void)sub;
  (void)closure;
  bench_consumed(&R, natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg));
  natsMsg_Destroy(msg);
}

static void *consumer_main(void *arg) {
  (void)arg;
  natsConnection *nc = connect_nats();
  jsCtx *js = jetstream(nc);
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Config.AckPolicy = js_AckNone;
  so.Config.DeliverPolicy = js_DeliverAll;
  char subject[160];
  snprintf(subject, sizeof subject, "%s.>", R.o.topic);
  natsSubscription *sub = NULL;
  jsErrCode jerr = 0;
  natsStatus s = js_Subscribe(&sub, js, subject, on_msg, NULL, NULL, &so, &jerr);
  if (s != NATS_OK) {
    bench_error(&R, nats_GetLastError(NULL));
    atomic_store(&R.stop, 1);
  } else {
    natsSubscription_SetPendingLimits(sub, -1, -1);
  }
  R.consume_start_ns = now_ns();
  atomic_store(&R.ready, 1);
  /* Messages arrive on the library's delivery thread; this thread only waits for the end. */
  while (!bench_consumer_done(&R)) sleep_until_ns(now_ns() + 2000000);
  if (sub) {
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
  }
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  atomic_fetch_sub(&R.running, 1);
  return NULL;
}

int main(int argc, char **argv) {
  bench_parse(&R.o, argc, argv);
  snprintf(url, sizeof url, "nats://%s", R.o.bootstrap);
  if (R.o.create) create_stream();
  bench_execute(&R, producer_main, consumer_main);
  nats_Close();
  return 0;
}
