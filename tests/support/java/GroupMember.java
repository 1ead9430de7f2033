import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A Java KafkaConsumer in a classic consumer group, for interop tests with Samsa's ConsumerGroup.
 * Usage: GroupMember BOOTSTRAP GROUP_ID TOPIC ASSIGNOR_CLASS [SESSION_TIMEOUT_MS]
 * Prints on stdout, one line each, flushed:
 *   STARTED                       the consumer exists and has subscribed
 *   ASSIGNED t-0,t-1              onPartitionsAssigned (eager: the whole set; cooperative: what was added)
 *   REVOKED t-0                   onPartitionsRevoked
 *   LOST t-0                      onPartitionsLost
 *   RECORD <partition> <offset>   each record, before the poll's commitSync
 *   COMMITTED                     after each commitSync that followed records
 *   ERROR <message>               a commit or poll failure (the loop goes on)
 *   CLOSED                        consumer.close() returned
 * Stops (consumer.close(), which leaves the group) when stdin closes or reads the line "stop".
 * Log output never reaches stdout: log4j is switched off and System.out points at stderr.
 */
public class GroupMember {
  static PrintStream out;

  static synchronized void say(String line) {
    out.println(line);
    out.flush();
  }

  static String join(Collection<TopicPartition> parts) {
    List<String> names = new ArrayList<>();
    for (TopicPartition tp : parts) names.add(tp.toString());
    return String.join(",", names);
  }

  public static void main(String[] args) throws Exception {
    out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
    System.setOut(System.err); // anything a logger writes to the console goes to stderr
    System.setProperty("log4j2.level", "OFF");
    System.setProperty("org.apache.logging.log4j.level", "OFF");
    System.setProperty("log4j2.statusLoggerLevel", "OFF");
    if (args.length < 4) {
      System.err.println("usage: GroupMember BOOTSTRAP GROUP_ID TOPIC ASSIGNOR_CLASS [SESSION_TIMEOUT_MS]");
      System.exit(2);
    }
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    props.put("group.id", args[1]);
    props.put("group.protocol", "classic");
    props.put("partition.assignment.strategy", args[3]);
    props.put("enable.auto.commit", "false");
    props.put("auto.offset.reset", "earliest");
    props.put("session.timeout.ms", args.length > 4 ? args[4] : "10000");
    props.put("heartbeat.interval.ms", "500");
    props.put("key.deserializer", ByteArrayDeserializer.class.getName());
    props.put("value.deserializer", ByteArrayDeserializer.class.getName());
    String topic = args[2];

    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props);
    final boolean[] stopping = {false};
    Thread stdin = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          if (line.trim().equals("stop")) break;
        }
      } catch (Exception e) {
        // stdin broke: stop as if it closed
      }
      synchronized (stopping) {
        stopping[0] = true;
      }
      consumer.wakeup();
    }, "stdin");
    stdin.setDaemon(true);

    consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
      @Override
      public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        say("REVOKED " + join(partitions));
      }

      @Override
      public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        say("ASSIGNED " + join(partitions));
      }

      @Override
      public void onPartitionsLost(Collection<TopicPartition> partitions) {
        say("LOST " + join(partitions));
      }
    });
    say("STARTED");
    stdin.start();
    try {
      while (true) {
        synchronized (stopping) {
          if (stopping[0]) break;
        }
        try {
          ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
          for (ConsumerRecord<byte[], byte[]> r : records) say("RECORD " + r.partition() + " " + r.offset());
          if (!records.isEmpty()) {
            consumer.commitSync();
            say("COMMITTED");
          }
        } catch (WakeupException e) {
          break;
        } catch (Exception e) {
          say("ERROR " + e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).replace('\n', ' '));
        }
      }
    } finally {
      try {
        consumer.close();
      } catch (Exception e) {
        say("ERROR close: " + e);
      }
      say("CLOSED");
    }
    System.exit(0);
  }
}
