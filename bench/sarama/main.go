// sarama-bench: the Sarama lanes of `npm run bench` (bench/run.ts builds it into .cache/bench/sarama-bench).
//
//	sarama-bench -workload produce -brokers 127.0.0.1:9092 -topic T -records N -payload FILE [-codec lz4]
//	sarama-bench -workload consume -brokers ... -topic T -records N
//	sarama-bench -workload sync    -brokers ... -topic T -records 10000 -payload FILE
//
// Each client's defaults plus batching: AsyncProducer with acks=all, Sarama's default idempotence
// (off), Flush.Frequency 5 ms and Flush.Bytes 1 MB (librdkafka's linger.ms / batch.size); the consumer
// reads every partition from the oldest offset with one PartitionConsumer each. The payload file
// holds one record per line (fixed length); records are read from it as they are sent, so the
// process never holds the whole payload. Prints one line `@@RESULT {json}` on stdout; the timing is
// in-process (first send to last acknowledgement, or first to last message consumed).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
)

type result struct {
	Records int64   `json:"records"`
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
	P50     float64 `json:"p50Ms,omitempty"`
	P99     float64 `json:"p99Ms,omitempty"`
}

func emit(r result) {
	b, _ := json.Marshal(r)
	fmt.Printf("@@RESULT %s\n", b)
}

func die(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "sarama-bench: "+format+"\n", a...)
	os.Exit(1)
}

// payloadReader hands out one freshly allocated record per line of the payload file, wrapping
// around at its end.
type payloadReader struct {
	path string
	f    *os.File
	r    *bufio.Reader
}

func openPayload(path string) *payloadReader {
	p := &payloadReader{path: path}
	p.reopen()
	return p
}

func (p *payloadReader) reopen() {
	if p.f != nil {
		p.f.Close()
	}
	f, err := os.Open(p.path)
	if err != nil {
		die("payload: %v", err)
	}
	p.f, p.r = f, bufio.NewReaderSize(f, 1<<20)
}

func (p *payloadReader) next() []byte {
	for attempt := 0; attempt < 2; attempt++ {
		line, err := p.r.ReadSlice('\n')
		if len(line) > 1 || (len(line) == 1 && line[0] != '\n') {
			if line[len(line)-1] == '\n' {
				line = line[:len(line)-1]
			}
			out := make([]byte, len(line))
			copy(out, line)
			return out
		}
		if err == io.EOF || err == nil {
			p.reopen()
			continue
		}
		die("payload: %v", err)
	}
	die("payload: %s is empty", p.path)
	return nil
}

func codecOf(name string) sarama.CompressionCodec {
	switch name {
	case "", "none":
		return sarama.CompressionNone
	case "gzip":
		return sarama.CompressionGZIP
	case "snappy":
		return sarama.CompressionSnappy
	case "lz4":
		return sarama.CompressionLZ4
	case "zstd":
		return sarama.CompressionZSTD
	}
	die("unknown codec %q", name)
	return 0
}

func baseConfig() *sarama.Config {
	c := sarama.NewConfig()
	c.ClientID = "sarama-bench"
	// zstd needs protocol 2.1+; the default (2.8) is fine for a 4.x broker
	c.Producer.RequiredAcks = sarama.WaitForAll
	return c
}

func produce(brokers []string, topic string, n int, payload, codec string) {
	c := baseConfig()
	c.Producer.Compression = codecOf(codec)
	c.Producer.Flush.Frequency = 5 * time.Millisecond
	c.Producer.Flush.Bytes = 1_000_000
	c.Producer.Return.Successes = false
	c.Producer.Return.Errors = true
	p, err := sarama.NewAsyncProducer(brokers, c)
	if err != nil {
		die("producer: %v", err)
	}
	pr := openPayload(payload)
	var failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for e := range p.Errors() {
			if failed.Add(1) == 1 {
				firstErr.Store(e.Err.Error())
			}
		}
	}()
	var bytes int64
	t0 := time.Now()
	for i := 0; i < n; i++ {
		v := pr.next()
		bytes += int64(len(v))
		p.Input() <- &sarama.ProducerMessage{Topic: topic, Value: sarama.ByteEncoder(v)}
	}
	if err := p.Close(); err != nil && failed.Load() == 0 {
		die("close: %v", err)
	}
	secs := time.Since(t0).Seconds()
	wg.Wait()
	if f := failed.Load(); f > 0 {
		die("%d of %d records failed (first: %v)", f, n, firstErr.Load())
	}
	emit(result{Records: int64(n), Bytes: bytes, Seconds: secs})
}

func syncProduce(brokers []string, topic string, n int, payload string) {
	c := baseConfig()
	c.Producer.Return.Successes = true
	p, err := sarama.NewSyncProducer(brokers, c)
	if err != nil {
		die("producer: %v", err)
	}
	pr := openPayload(payload)
	lat := make([]float64, 0, n)
	var bytes int64
	// a few warm-up sends (connection, metadata), not counted
	for i := 0; i < 10; i++ {
		if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.ByteEncoder(pr.next())}); err != nil {
			die("send: %v", err)
		}
	}
	t0 := time.Now()
	for i := 0; i < n; i++ {
		v := pr.next()
		bytes += int64(len(v))
		s := time.Now()
		if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.ByteEncoder(v)}); err != nil {
			die("send %d: %v", i, err)
		}
		lat = append(lat, float64(time.Since(s).Microseconds())/1000)
	}
	secs := time.Since(t0).Seconds()
	p.Close()
	sort.Float64s(lat)
	emit(result{Records: int64(n), Bytes: bytes, Seconds: secs, P50: pct(lat, 0.50), P99: pct(lat, 0.99)})
}

func pct(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

func consume(brokers []string, topic string, n int) {
	c := baseConfig()
	c.Consumer.Return.Errors = true
	client, err := sarama.NewClient(brokers, c)
	if err != nil {
		die("client: %v", err)
	}
	parts, err := client.Partitions(topic)
	if err != nil {
		die("partitions: %v", err)
	}
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		die("consumer: %v", err)
	}
	var total, bytes atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now() // the clock starts before the first fetch, as for every other consumer lane
	for _, part := range parts {
		end, err := client.GetOffset(topic, part, sarama.OffsetNewest)
		if err != nil {
			die("offset: %v", err)
		}
		if end == 0 {
			continue
		}
		pc, err := consumer.ConsumePartition(topic, part, sarama.OffsetOldest)
		if err != nil {
			die("consume %d: %v", part, err)
		}
		wg.Add(1)
		go func(pc sarama.PartitionConsumer, end int64) {
			defer wg.Done()
			for {
				select {
				case m := <-pc.Messages():
					total.Add(1)
					bytes.Add(int64(len(m.Value)))
					if m.Offset+1 >= end {
						pc.AsyncClose()
						for range pc.Messages() {
						}
						return
					}
				case e := <-pc.Errors():
					if e != nil {
						die("partition %d: %v", e.Partition, e.Err)
					}
				}
			}
		}(pc, end)
	}
	wg.Wait()
	secs := time.Since(t0).Seconds()
	consumer.Close()
	client.Close()
	if int(total.Load()) < n {
		die("read %d of %d", total.Load(), n)
	}
	emit(result{Records: total.Load(), Bytes: bytes.Load(), Seconds: secs})
}

func main() {
	workload := flag.String("workload", "produce", "produce | consume | sync")
	brokersFlag := flag.String("brokers", "127.0.0.1:9092", "comma-separated")
	topic := flag.String("topic", "", "topic")
	records := flag.Int("records", 1_000_000, "records")
	payload := flag.String("payload", "", "payload file, one record per line")
	codec := flag.String("codec", "none", "none | gzip | snappy | lz4 | zstd")
	flag.Parse()
	if *topic == "" {
		die("-topic is required")
	}
	brokers := strings.Split(*brokersFlag, ",")
	switch *workload {
	case "produce":
		produce(brokers, *topic, *records, *payload, *codec)
	case "sync":
		syncProduce(brokers, *topic, *records, *payload)
	case "consume":
		consume(brokers, *topic, *records)
	default:
		die("unknown workload %q", *workload)
	}
}
