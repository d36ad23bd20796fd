package dev.patchbay.admin.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** HTTPS with a PEM certificate and key (admin_ssl_cert / admin_ssl_key), made here with openssl. */
class TlsTest {

    @Test
    void servesHttpsOnlyWithHttpsLinks() throws Exception {
        Path dir = Files.createTempDirectory("rest-tls");
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(),
                "-out", cert.toString(), "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=IP:127.0.0.1").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        try (RestRig rig = RestRig.start(Map.of(), "admin_ssl_cert=" + cert + "\nadmin_ssl_key=" + key + "\n", "")) {
            String url = "https://127.0.0.1:" + rig.port();
            // Trust exactly this certificate; hostname verification stays on (the SAN is 127.0.0.1).
            java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            try (var in = Files.newInputStream(cert)) {
                ks.setCertificateEntry("rest", java.security.cert.CertificateFactory.getInstance("X.509")
                        .generateCertificate(in));
            }
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext trustAll = SSLContext.getInstance("TLS");
            trustAll.init(null, tmf.getTrustManagers(), new SecureRandom());
            HttpClient https = HttpClient.newBuilder().sslContext(trustAll).connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> r = https.send(HttpRequest.newBuilder(URI.create(url + "/v1/maxscale"))
                    .header("Authorization", RestRig.ADMIN).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            JsonNode doc = RestRig.json(r);
            assertThat(doc.path("links").path("self").asString()).isEqualTo(url + "/v1/maxscale/");
            // Persisted tokens get the Secure attribute over HTTPS.
            HttpResponse<String> t = https.send(HttpRequest.newBuilder(URI.create(url + "/v1/auth?persist=yes"))
                    .header("Authorization", RestRig.ADMIN).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(t.headers().allValues("Set-Cookie")).allMatch(c -> c.contains("; Secure"));

            Process curl = new ProcessBuilder("curl", "-s", "-k", "-u", "admin:mariadb", "-w", "\n%{http_code}",
                    url + "/v1/sessions").redirectErrorStream(true).start();
            String body = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(curl.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(body).endsWith("\n200").contains("\"self\": \"" + url + "/v1/sessions/\"");
            // Plain HTTP on the HTTPS port gets no HTTP answer: the connection is dropped.
            long t0 = System.nanoTime();
            String plain = Raw.exchange(rig.port(), "GET /v1/ HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(plain).doesNotContain("HTTP/1.1");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(5000);
        } finally {
            Files.deleteIfExists(cert);
            Files.deleteIfExists(key);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void aBadCertificateStopsTheStartWithAClearError() throws Exception {
        Path dir = Files.createTempDirectory("rest-tls-bad");
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Files.writeString(cert, "not a certificate");
        Files.writeString(key, "not a key");
        try {
            assertThatThrownBy(() -> RestRig.start(Map.of(), "admin_ssl_cert=" + cert + "\nadmin_ssl_key=" + key + "\n", ""))
                    .hasMessageContaining("REST API TLS: cannot load admin_ssl_cert");
            // A file that is not there is named as such, not as one without valid certificates.
            assertThatThrownBy(() -> RestRig.start(Map.of(), "admin_ssl_cert=" + dir.resolve("missing.pem") + "\nadmin_ssl_key="
                    + key + "\n", "")).hasMessageContaining("REST API TLS: admin_ssl_cert " + dir.resolve("missing.pem")
                    + " is not a readable file");
        } finally {
            Files.deleteIfExists(cert);
            Files.deleteIfExists(key);
            Files.deleteIfExists(dir);
        }
    }
}
