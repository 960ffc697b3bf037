import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import net.dona.doip.DoipConstants;
import net.dona.doip.InDoipMessage;
import net.dona.doip.InDoipSegment;
import net.dona.doip.client.AuthenticationInfo;
import net.dona.doip.client.DigitalObject;
import net.dona.doip.client.DoipClient;
import net.dona.doip.client.DoipException;
import net.dona.doip.client.Element;
import net.dona.doip.client.PasswordAuthenticationInfo;
import net.dona.doip.client.QueryParams;
import net.dona.doip.client.SearchResults;
import net.dona.doip.client.ServiceInfo;
import net.dona.doip.client.SortField;
import net.dona.doip.client.TokenAuthenticationInfo;
import net.dona.doip.client.transport.DoipClientResponse;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Drives CNRI's DOIP Java client (net.dona.doip.client.DoipClient) against our server, one call per step, and prints
 * one line per step: "PASS <step> <detail>" or "FAIL <step> <exception>". Before each step it writes the step's name to
 * the label file, so a recording proxy in between can tag the bytes of that step.
 *
 *   java -cp <sdk classes>:<deps>:. CnriInterop HOST PORT SERVICE_ID TOKEN USERNAME PASSWORD LABEL_FILE
 */
public class CnriInterop {
    static String labelFile;
    static int failures = 0;

    interface Step { String run() throws Exception; }

    static void step(String name, Step body) {
        try {
            if (labelFile != null) Files.writeString(Path.of(labelFile), name);
            String detail = body.run();
            System.out.println("PASS " + name + " " + (detail == null ? "" : detail.replace('\n', ' ')));
        } catch (Throwable e) {
            failures++;
            String status = e instanceof DoipException ? " status=" + ((DoipException) e).getStatusCode() : "";
            System.out.println("FAIL " + name + " " + e.getClass().getName() + status + ": " + String.valueOf(e.getMessage()).replace('\n', ' '));
        }
    }

    static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError(what);
    }

    static String readAll(InputStream in) throws Exception {
        try (InputStream stream = in) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        String serviceId = args[2];
        String token = args[3];
        String username = args[4];
        String password = args[5];
        labelFile = args.length > 6 ? args[6] : null;

        ServiceInfo service = new ServiceInfo(serviceId, host, port);
        AuthenticationInfo tokenAuth = new TokenAuthenticationInfo(null, token);
        AuthenticationInfo passwordAuth = new PasswordAuthenticationInfo(username, password);
        String[] created = new String[2];

        try (DoipClient client = new DoipClient()) {
            step("hello", () -> {
                DigitalObject hello = client.hello(serviceId, null, service);
                check(hello != null && hello.id != null, "hello has an id");
                check(hello.attributes != null && hello.attributes.has("protocolVersion"), "hello has attributes.protocolVersion");
                return "id=" + hello.id + " attributes=" + hello.attributes;
            });
            step("listOperations-service", () -> {
                List<String> ops = client.listOperations(serviceId, null, service);
                check(ops.contains(DoipConstants.OP_HELLO) && ops.contains(DoipConstants.OP_CREATE), "service ops include Hello and Create");
                return ops.toString();
            });
            step("listOperations-object", () -> {
                List<String> ops = client.listOperations("Q123", null, service);
                check(ops.contains(DoipConstants.OP_RETRIEVE), "object ops include Retrieve");
                return ops.toString();
            });
            step("create-with-element", () -> {
                DigitalObject dobj = new DigitalObject();
                dobj.type = "Document";
                JsonObject content = new JsonObject();
                content.addProperty("name", "cnri interop");
                dobj.setAttribute("content", content);
                Element el = new Element();
                el.id = "notes";
                el.type = "text/plain";
                el.attributes = new JsonObject();
                el.attributes.addProperty("filename", "hello.txt");
                el.in = new ByteArrayInputStream("Hello World\n".getBytes(StandardCharsets.UTF_8));
                dobj.elements = new ArrayList<>(List.of(el));
                DigitalObject result = client.create(dobj, tokenAuth, service);
                check(result != null && result.id != null, "created object has an id");
                check(result.elements != null && result.elements.size() == 1, "one element back");
                Element back = result.elements.get(0);
                check("notes".equals(back.id), "element id kept: " + back.id);
                check(back.length != null && back.length == 12, "element length 12: " + back.length);
                check(back.attributes != null && "hello.txt".equals(back.attributes.get("filename").getAsString()), "filename kept");
                created[0] = result.id;
                return "id=" + result.id + " elements=" + result.elements.size();
            });
            step("create-without-elements", () -> {
                DigitalObject dobj = new DigitalObject();
                dobj.type = "Dataset";
                JsonObject content = new JsonObject();
                content.addProperty("name", "cnri no elements");
                dobj.setAttribute("content", content);
                DigitalObject result = client.create(dobj, passwordAuth, service);
                check(result != null && result.id != null, "created object has an id");
                created[1] = result.id;
                return "id=" + result.id;
            });
            step("retrieve", () -> {
                DigitalObject dobj = client.retrieve(created[0], tokenAuth, service);
                check(dobj != null, "object found");
                check(dobj.elements != null && dobj.elements.size() == 1 && dobj.elements.get(0).in == null, "element listed without data");
                check("cnri interop".equals(dobj.attributes.getAsJsonObject("content").get("name").getAsString()), "content.name kept");
                return "id=" + dobj.id + " type=" + dobj.type;
            });
            step("retrieve-includeElementData", () -> {
                DigitalObject dobj = client.retrieve(created[0], true, tokenAuth, service);
                check(dobj != null && dobj.elements != null && dobj.elements.size() == 1, "one element");
                Element el = dobj.elements.get(0);
                check(el.in != null, "element data present");
                String text = readAll(el.in);
                check("Hello World\n".equals(text), "element data is Hello World: " + text);
                return "element " + el.id + " " + text.length() + " bytes";
            });
            step("retrieveElement", () -> {
                String text = readAll(client.retrieveElement(created[0], "notes", tokenAuth, service));
                check("Hello World\n".equals(text), "bytes: " + text);
                return text.length() + " bytes";
            });
            step("retrievePartialElement-0-4", () -> {
                String text = readAll(client.retrievePartialElement(created[0], "notes", 0L, 4L, tokenAuth, service));
                check("Hello".equals(text), "bytes 0..4: " + text);
                return text;
            });
            step("retrievePartialElement-last-6", () -> {
                String text = readAll(client.retrievePartialElement(created[0], "notes", null, 6L, tokenAuth, service));
                check("World\n".equals(text), "last 6: " + text);
                return text.trim();
            });
            step("retrievePartialElement-6-end", () -> {
                String text = readAll(client.retrievePartialElement(created[0], "notes", 6L, null, tokenAuth, service));
                check("World\n".equals(text), "6..: " + text);
                return text.trim();
            });
            step("retrieve-demo-pdf", () -> {
                DigitalObject dobj = client.retrieve("Q123", null, service);
                check(dobj != null && dobj.elements != null && !dobj.elements.isEmpty(), "Q123 has elements");
                return "elements=" + dobj.elements.size() + " first=" + dobj.elements.get(0).id;
            });
            step("update-roundtrip", () -> {
                DigitalObject dobj = client.retrieve(created[0], tokenAuth, service);
                dobj.attributes.getAsJsonObject("content").addProperty("name", "cnri interop, updated");
                DigitalObject result = client.update(dobj, tokenAuth, service);
                check(result != null, "update answers the object");
                check("cnri interop, updated".equals(result.attributes.getAsJsonObject("content").get("name").getAsString()), "new name");
                check(result.elements != null && result.elements.size() == 1, "element kept");
                DigitalObject again = client.retrieve(created[0], tokenAuth, service);
                check("cnri interop, updated".equals(again.attributes.getAsJsonObject("content").get("name").getAsString()), "new name stored");
                return "ok";
            });
            step("update-add-element", () -> {
                DigitalObject dobj = client.retrieve(created[0], tokenAuth, service);
                Element el = new Element();
                el.id = "more";
                el.type = "text/plain";
                el.attributes = new JsonObject();
                el.attributes.addProperty("filename", "more.txt");
                el.in = new ByteArrayInputStream("more bytes".getBytes(StandardCharsets.UTF_8));
                dobj.elements.add(el);
                DigitalObject result = client.update(dobj, tokenAuth, service);
                check(result.elements != null && result.elements.size() == 2, "two elements: " + (result.elements == null ? 0 : result.elements.size()));
                String text = readAll(client.retrieveElement(created[0], "more", tokenAuth, service));
                check("more bytes".equals(text), "new element's bytes");
                return "elements=" + result.elements.size();
            });
            step("search", () -> {
                try (SearchResults<DigitalObject> results = client.search(serviceId, "*", new QueryParams(0, 10), null, service)) {
                    int n = 0;
                    for (DigitalObject d : results) { check(d.id != null, "result id"); n++; }
                    check(n >= 2, "at least 2 results: " + n);
                    return "size=" + results.size() + " iterated=" + n;
                }
            });
            step("searchIds-sorted", () -> {
                List<SortField> sort = List.of(new SortField("id", true));
                try (SearchResults<String> results = client.searchIds(serviceId, "*", new QueryParams(0, 10, sort), null, service)) {
                    List<String> ids = new ArrayList<>();
                    for (String id : results) ids.add(id);
                    check(ids.contains(created[0]), "created id in results: " + ids);
                    return ids.toString();
                }
            });
            step("invoke-fixity", () -> {
                JsonObject attributes = new JsonObject();
                attributes.addProperty("workflow", "fixity");
                try (DoipClientResponse response = client.performOperation(created[0], "0.DOIP/Op.Invoke", tokenAuth, attributes, service)) {
                    check(DoipConstants.STATUS_OK.equals(response.getStatus()), "status " + response.getStatus() + " " + response.getAttributes());
                    StringBuilder out = new StringBuilder();
                    try (InDoipMessage in = response.getOutput()) {
                        for (InDoipSegment segment : in) {
                            if (segment.isJson()) out.append(segment.getJson().toString().length()).append("B json;");
                            else out.append(segment.getInputStream().readAllBytes().length).append("B bytes;");
                        }
                    }
                    return out.toString();
                }
            });
            step("credentials-bad-token", () -> {
                try {
                    DigitalObject dobj = new DigitalObject();
                    dobj.type = "Document";
                    client.create(dobj, new TokenAuthenticationInfo(null, "wrong-token"), service);
                } catch (DoipException e) {
                    check(DoipConstants.STATUS_UNAUTHENTICATED.equals(e.getStatusCode()), "102, got " + e.getStatusCode());
                    return "rejected: " + e.getStatusCode() + " " + e.getMessage();
                }
                throw new AssertionError("create with a wrong token succeeded");
            });
            step("credentials-no-auth-write", () -> {
                try {
                    client.delete(created[1], null, service);
                } catch (DoipException e) {
                    check(DoipConstants.STATUS_UNAUTHENTICATED.equals(e.getStatusCode()), "102, got " + e.getStatusCode());
                    return "rejected: " + e.getStatusCode();
                }
                throw new AssertionError("delete without credentials succeeded");
            });
            step("delete", () -> {
                client.delete(created[1], passwordAuth, service);
                client.delete(created[0], tokenAuth, service);
                return "deleted " + created[0] + ", " + created[1];
            });
            step("retrieve-deleted", () -> {
                DigitalObject dobj = client.retrieve(created[0], tokenAuth, service);
                check(dobj == null, "retrieve of a deleted object gives null (104)");
                return "null";
            });
        }
        System.out.println(failures == 0 ? "ALL PASS" : failures + " FAILED");
        System.exit(failures == 0 ? 0 : 1);
    }
}
