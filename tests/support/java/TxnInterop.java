import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The Java client's side of the transaction interop test.
 *   TxnInterop consume BOOTSTRAP TOPIC PARTITIONS
 *     a KafkaConsumer with isolation.level=read_committed reads every partition from the start
 *     until it saw "end-<p>" on each; prints "RECORD <partition> <value>" per record, then "DONE".
 *   TxnInterop produce BOOTSTRAP TOPIC PARTITIONS TRANSACTIONAL_ID
 *     a transactional KafkaProducer: 10 transactions, even ones committed, odd ones aborted, each
 *     with "j<t>-<c|a>-p<p>-<i>" (i < 3) on every partition; then a committed "end-<p>" on each.
 *     Prints "DONE".
 * Log output never reaches stdout: log4j is switched off and System.out points at stderr.
 */
public class TxnInterop {
  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    System.setOut(System.err);
    System.setProperty("log4j2.level", "OFF");
    System.setProperty("org.apache.logging.log4j.level", "OFF");
    System.setProperty("log4j2.statusLoggerLevel", "OFF");
    String mode = args[0];
    String bootstrap = args[1];
    String topic = args[2];
    int partitions = Integer.parseInt(args[3]);
    if (mode.equals("consume")) {
      Properties props = new Properties();
      props.put("bootstrap.servers", bootstrap);
      props.put("isolation.level", "read_committed");
      props.put("enable.auto.commit", "false");
      props.put("key.deserializer", StringDeserializer.class.getName());
      props.put("value.deserializer", StringDeserializer.class.getName());
      try (KafkaConsumer<String, String> c = new KafkaConsumer<>(props)) {
        List<TopicPartition> tps = new ArrayList<>();
        for (int p = 0; p < partitions; p++) tps.add(new TopicPartition(topic, p));
        c.assign(tps);
        c.seekToBeginning(tps);
        Set<Integer> ended = new HashSet<>();
        long deadline = System.currentTimeMillis() + 60_000;
        while (ended.size() < partitions && System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
            if (ended.contains(r.partition())) continue;
            out.println("RECORD " + r.partition() + " " + r.value());
            if (r.value().equals("end-" + r.partition())) ended.add(r.partition());
          }
        }
      }
    } else {
      Properties props = new Properties();
      props.put("bootstrap.servers", bootstrap);
      props.put("transactional.id", args[4]);
      props.put("key.serializer", StringSerializer.class.getName());
      props.put("value.serializer", StringSerializer.class.getName());
      try (KafkaProducer<String, String> p = new KafkaProducer<>(props)) {
        p.initTransactions();
        for (int t = 0; t < 10; t++) {
          boolean commit = t % 2 == 0;
          p.beginTransaction();
          for (int part = 0; part < partitions; part++) {
            for (int i = 0; i < 3; i++) p.send(new ProducerRecord<>(topic, part, null, "j" + t + "-" + (commit ? "c" : "a") + "-p" + part + "-" + i));
          }
          if (commit) p.commitTransaction();
          else {
            p.flush();
            p.abortTransaction();
          }
        }
        p.beginTransaction();
        for (int part = 0; part < partitions; part++) p.send(new ProducerRecord<>(topic, part, null, "end-" + part));
        p.commitTransaction();
      }
    }
    out.println("DONE");
  }
}
