/*
 * Kafka load driver on librdkafka (Debian's librdkafka-dev): N records of S bytes to a topic with the
 * given acks/compression, from K producer threads (one client each), at a fixed rate or flat out, while
 * one consumer reads every partition from the beginning and records end-to-end latency.
 * Prints one JSON line (see bench-common.h). Used against Samsa and the librdkafka mock cluster alike.
 * `--property key=value` (repeatable) sets any librdkafka property on every client (security.protocol=ssl,
 * ssl.ca.location=...), so the same driver measures TLS listeners.
 */
#include <librdkafka/rdkafka.h>

#include "bench-common.h"

static bench_run R;

static rd_kafka_conf_t *base_conf(void) {
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  char err[256];
  if (rd_kafka_conf_set(conf, "bootstrap.servers", R.o.bootstrap, err, sizeof err) != RD_KAFKA_CONF_OK)
    bench_usage_exit(err);
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
  /* --property key=value: librdkafka settings for every client, e.g. security.protocol=ssl. */
  for (int i = 0; i < R.o.nprops; i++) {
    char kv[1024];
    snprintf(kv, sizeof kv, "%s", R.o.props[i]);
    char *eq = strchr(kv, '=');
    *eq = '\0';
    if (rd_kafka_conf_set(conf, kv, eq + 1, err, sizeof err) != RD_KAFKA_CONF_OK) bench_usage_exit(err);
  }
  return conf;
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
  char err[256];
  if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) bench_usage_exit(err);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  if (m->err) bench_error(&R, rd_kafka_err2str(m->err));
  bench_acked(&R, m->err == RD_KAFKA_RESP_ERR_NO_ERROR);
}

static void create_topic(void) {
  char err[256], buf[32];
  rd_kafka_conf_t *conf = base_conf();
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) bench_usage_exit(err);
  rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(R.o.topic, R.o.partitions, 1, err, sizeof err);
  if (!nt) bench_usage_exit(err);
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t *ao = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(ao, 30000, err, sizeof err);
  rd_kafka_CreateTopics(rk, &nt, 1, ao, q);
  rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 40000);
  if (!ev) bench_usage_exit("CreateTopics timed out");
  if (rd_kafka_event_error(ev)) bench_usage_exit(rd_kafka_event_error_string(ev));
  size_t cnt = 0;
  const rd_kafka_topic_result_t **res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
  for (size_t i = 0; i < cnt; i++) {
    rd_kafka_resp_err_t e = rd_kafka_topic_result_error(res[i]);
    if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) bench_usage_exit(rd_kafka_err2str(e));
  }
  (void)buf;
  rd_kafka_event_destroy(ev);
  rd_kafka_AdminOptions_destroy(ao);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
}

static void *producer_main(void *arg) {
  bench_thread_arg *a = arg;
  char err[256], buf[32];
  rd_kafka_conf_t *conf = base_conf();
  set(conf, "acks", R.o.acks);
  set(conf, "compression.codec", R.o.compression);
  snprintf(buf, sizeof buf, "%d", R.o.linger_ms);
  set(conf, "linger.ms", buf);
  set(conf, "queue.buffering.max.messages", "1000000");
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) bench_usage_exit(err);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, R.o.topic, NULL);
  long long n = bench_share(&R.o, a->index);
  pacer p = {R.start_ns, R.o.rate > 0 ? 1e9 / (R.o.rate / R.o.producers) : 0};
  char *value = malloc((size_t)R.o.size);
  payload_fill(value, R.o.size);
  for (long long i = 0; i < n && !atomic_load(&R.stop); i++) {
    payload_stamp(value, pacer_wait(&p, i), (uint64_t)i);
    /* Null key: librdkafka's default partitioner spreads records randomly over the partitions. */
    while (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, value, (size_t)R.o.size, NULL, 0, NULL) == -1) {
      rd_kafka_resp_err_t e = rd_kafka_last_error();
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        bench_error(&R, rd_kafka_err2str(e));
        atomic_store(&R.stop, 1);
        break;
      }
      rd_kafka_poll(rk, 1);
      if (atomic_load(&R.stop)) break;
    }
    atomic_fetch_add(&R.produced, 1);
    if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
  }
  while (rd_kafka_outq_len(rk) > 0 && !atomic_load(&R.stop)) rd_kafka_poll(rk, 20);
  free(value);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  atomic_fetch_sub(&R.producers_left, 1);
  atomic_fetch_sub(&R.running, 1);
  return NULL;
}

static void *consumer_main(void *arg) {
  (void)arg;
  char err[256];
  rd_kafka_conf_t *conf = base_conf();
  set(conf, "group.id", "samsa-bench");
  set(conf, "enable.auto.commit", "false");
  set(conf, "fetch.wait.max.ms", "100");
  set(conf, "auto.offset.reset", "earliest");
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) bench_usage_exit(err);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(R.o.partitions);
  for (int p = 0; p < R.o.partitions; p++)
    rd_kafka_topic_partition_list_add(parts, R.o.topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(rk, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  R.consume_start_ns = now_ns();
  atomic_store(&R.ready, 1);
  while (!bench_consumer_done(&R)) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 50);
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) bench_consumed(&R, m->payload, m->len);
    else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) bench_error(&R, rd_kafka_message_errstr(m));
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  atomic_fetch_sub(&R.running, 1);
  return NULL;
}

int main(int argc, char **argv) {
  bench_parse(&R.o, argc, argv);
  if (R.o.create) create_topic();
  bench_execute(&R, producer_main, consumer_main);
  return 0;
}
