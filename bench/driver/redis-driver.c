/*
 * Redis Streams load driver on hiredis (Debian's libhiredis-dev): XADD of N records of S bytes spread
 * round-robin over P streams (Redis' nearest thing to partitions), pipelined, at a fixed rate or flat out,
 * while one XREAD BLOCK reader follows every stream and records end-to-end latency. Same JSON as the
 * Kafka driver. --bootstrap is host:port.
 */
#include <hiredis/hiredis.h>

#include "bench-common.h"

#define PIPELINE 512

static bench_run R;

static redisContext *connect_redis(void) {
  char host[128];
  snprintf(host, sizeof host, "%s", R.o.bootstrap);
  char *colon = strrchr(host, ':');
  if (!colon) bench_usage_exit("--bootstrap must be host:port");
  *colon = 0;
  redisContext *c = redisConnect(host, atoi(colon + 1));
  if (!c || c->err) bench_usage_exit(c ? c->errstr : "redisConnect failed");
  return c;
}

static void *producer_main(void *arg) {
  bench_thread_arg *a = arg;
  redisContext *c = connect_redis();
  long long n = bench_share(&R.o, a->index);
  pacer p = {R.start_ns, R.o.rate > 0 ? 1e9 / (R.o.rate / R.o.producers) : 0};
  char *value = malloc((size_t)R.o.size);
  char key[160];
  payload_fill(value, R.o.size);
  long long pending = 0;
  for (long long i = 0; i < n && !atomic_load(&R.stop); i++) {
    payload_stamp(value, pacer_wait(&p, i), (uint64_t)i);
    snprintf(key, sizeof key, "%s-%lld", R.o.topic, (i + a->index) % R.o.partitions);
    redisAppendCommand(c, "XADD %s * v %b", key, value, (size_t)R.o.size);
    pending++;
    atomic_fetch_add(&R.produced, 1);
    /* Paced runs put each command on the wire now rather than when the pipeline window fills. */
    if (p.interval_ns > 0) {
      int done = 0;
      while (!done)
        if (redisBufferWrite(c, &done) != REDIS_OK) break;
    }
    /* A bounded window of replies outstanding; their acks only feed the produce rate. */
    while (pending > 0 && (pending >= PIPELINE || i + 1 == n)) {
      redisReply *reply;
      if (redisGetReply(c, (void **)&reply) != REDIS_OK) {
        bench_error(&R, c->errstr);
        atomic_store(&R.stop, 1);
        break;
      }
      bench_acked(&R, reply->type != REDIS_REPLY_ERROR);
      if (reply->type == REDIS_REPLY_ERROR) bench_error(&R, reply->str);
      freeReplyObject(reply);
      pending--;
    }
  }
  free(value);
  redisFree(c);
  atomic_fetch_sub(&R.producers_left, 1);
  atomic_fetch_sub(&R.running, 1);
  return NULL;
}

static void *consumer_main(void *arg) {
  (void)arg;
  redisContext *c = connect_redis();
  int np = R.o.partitions;
  int argc = 6 + 2 * np;
  const char **argv = calloc((size_t)argc, sizeof *argv);
  char **keys = calloc((size_t)np, sizeof *keys);
  char **ids = calloc((size_t)np, sizeof *ids);
  argv[0] = "XREAD";
  argv[1] = "COUNT";
  argv[2] = "1000";
  argv[3] = "BLOCK";
  argv[4] = "100";
  argv[5] = "STREAMS";
  for (int i = 0; i < np; i++) {
    keys[i] = malloc(160);
    ids[i] = malloc(64);
    snprintf(keys[i], 160, "%s-%d", R.o.topic, i);
    strcpy(ids[i], "0-0");
    argv[6 + i] = keys[i];
    argv[6 + np + i] = ids[i];
  }
  R.consume_start_ns = now_ns();
  atomic_store(&R.ready, 1);
  while (!bench_consumer_done(&R)) {
    redisReply *reply = redisCommandArgv(c, argc, argv, NULL);
    if (!reply) {
      bench_error(&R, c->errstr);
      break;
    }
    if (reply->type == REDIS_REPLY_ARRAY) {
      for (size_t s = 0; s < reply->elements; s++) {
        redisReply *stream = reply->element[s];
        int idx = atoi(strrchr(stream->element[0]->str, '-') + 1);
        redisReply *entries = stream->element[1];
        for (size_t e = 0; e < entries->elements; e++) {
          redisReply *entry = entries->element[e];
          redisReply *fields = entry->element[1];
          if (fields->elements >= 2) bench_consumed(&R, fields->element[1]->str, fields->element[1]->len);
          if (e + 1 == entries->elements) snprintf(ids[idx], 64, "%s", entry->element[0]->str);
        }
      }
    } else if (reply->type == REDIS_REPLY_ERROR) {
      bench_error(&R, reply->str);
    }
    freeReplyObject(reply);
  }
  redisFree(c);
  atomic_fetch_sub(&R.running, 1);
  return NULL;
}

int main(int argc, char **argv) {
  bench_parse(&R.o, argc, argv);
  bench_execute(&R, producer_main, consumer_main);
  return 0;
}
