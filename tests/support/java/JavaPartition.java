import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

/** Reads "partitions key" lines; prints the partition Java's default partitioner picks for each key. */
public class JavaPartition {
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    StringBuilder out = new StringBuilder();
    String line;
    while ((line = in.readLine()) != null) {
      int sp = line.indexOf(' ');
      int n = Integer.parseInt(line.substring(0, sp));
      byte[] key = line.substring(sp + 1).getBytes(StandardCharsets.UTF_8);
      // BuiltInPartitioner.partitionForKey: Utils.toPositive(Utils.murmur2(key)) % numPartitions
      out.append(Utils.toPositive(Utils.murmur2(key)) % n).append('\n');
    }
    System.out.print(out);
  }
}
