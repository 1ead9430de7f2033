import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.protocol.MessageUtil;
import org.apache.kafka.common.protocol.Readable;

/**
 * Encodes and decodes Kafka messages with Apache Kafka's own generated classes, one JSON command
 * per line: {"op":"encode"|"decode"|"versions","api":"Metadata","dir":"request"|"response",
 * "version":N,"json":{...}|"hex":"..."}. Used as an independent oracle by the conformance tests.
 */
public class Oracle {
  static final ObjectMapper M = new ObjectMapper();

  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      ObjectNode out = M.createObjectNode();
      try {
        JsonNode cmd = M.readTree(line);
        String api = cmd.get("api").asText();
        String dir = cmd.has("dir") ? cmd.get("dir").asText() : "request";
        String base = "org.apache.kafka.common.message." + api + (dir.equals("request") ? "Request" : "Response") + "Data";
        Class<?> data = Class.forName(base);
        Class<?> conv = Class.forName(base + "JsonConverter");
        String op = cmd.get("op").asText();
        if (op.equals("versions")) {
          out.put("min", data.getField("LOWEST_SUPPORTED_VERSION").getShort(null));
          out.put("max", data.getField("HIGHEST_SUPPORTED_VERSION").getShort(null));
        } else {
          short version = (short) cmd.get("version").asInt();
          if (op.equals("encode")) {
            Method read = conv.getMethod("read", JsonNode.class, short.class);
            Message msg = (Message) read.invoke(null, cmd.get("json"), version);
            ByteBuffer buf = MessageUtil.toByteBufferAccessor(msg, version).buffer();
            buf.rewind();
            byte[] bytes = new byte[buf.remaining()];
            buf.get(bytes);
            out.put("hex", hex(bytes));
          } else {
            byte[] bytes = unhex(cmd.get("hex").asText());
            Message msg = (Message) data.getConstructor(Readable.class, short.class)
                .newInstance(new ByteBufferAccessor(ByteBuffer.wrap(bytes)), version);
            Method write = conv.getMethod("write", data, short.class);
            out.set("json", (JsonNode) write.invoke(null, msg, version));
          }
        }
      } catch (Throwable t) {
        Throwable c = t.getCause() != null ? t.getCause() : t;
        out.put("error", c.getClass().getSimpleName() + ": " + c.getMessage());
      }
      System.out.println(M.writeValueAsString(out));
      System.out.flush();
    }
  }

  static String hex(byte[] b) {
    StringBuilder s = new StringBuilder();
    for (byte x : b) s.append(String.format("%02x", x));
    return s.toString();
  }

  static byte[] unhex(String s) {
    byte[] b = new byte[s.length() / 2];
    for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
    return b;
  }
}
