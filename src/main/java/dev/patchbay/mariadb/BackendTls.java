package dev.patchbay.mariadb;

import dev.patchbay.core.Server;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.File;
import java.util.HashMap;
import java.util.Map;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import javax.net.ssl.SSLContext;

/**
 * The TLS client contexts for servers with {@code ssl=true}, one per distinct {@link Server.Tls}, shared by
 * sessions, health checks, KILLs and the account loader. Building one reads PEM files, so {@link #prepare}
 * runs when a configuration is loaded or changed (main thread, REST blocking pool), never on an event loop;
 * the loops only look the context up.
 *
 * <p>The JDK provider, so that the blocking account loader can take the same {@link SSLContext}.
 */
public final class BackendTls {
    private static final ConcurrentMap<Server.Tls, SslContext> CONTEXTS = new ConcurrentHashMap<>();

    private BackendTls() {}

    /**
     * Builds (once) the context of {@code server}'s TLS settings.
     *
     * @throws IllegalStateException naming the server and what could not be loaded
     */
    public static void prepare(String server, Server.Tls tls) {
        if (!tls.enabled() || CONTEXTS.containsKey(tls)) {
            return;
        }
        CONTEXTS.putIfAbsent(tls, build(server, tls));
    }

    /**
     * Reads the PEM files of every TLS setting in use again (certificate rotation); the returned action puts the
     * new contexts in force, for connections made from then on. Throws, changing nothing, when any cannot be
     * loaded. Call off the event loops.
     */
    public static Runnable prepareReload(Map<String, Server> servers) {
        Map<Server.Tls, SslContext> fresh = new HashMap<>();
        for (Server s : servers.values()) {
            Server.Tls tls = s.tls();
            if (tls.enabled() && !fresh.containsKey(tls)) {
                fresh.put(tls, build(s.name(), tls));
            }
        }
        return () -> CONTEXTS.putAll(fresh);
    }

    /** The context for {@code server}, which has {@code ssl=true}. */
    public static SslContext context(Server server) {
        Server.Tls tls = server.tls();
        SslContext c = CONTEXTS.get(tls);
        if (c == null) {
            // Not prepared (a configuration path that skipped prepare): build it here rather than fail the session.
            prepare(server.name(), tls);
            c = CONTEXTS.get(tls);
        }
        return c;
    }

    /** The same context for a blocking socket; host names are checked by the caller when {@code verifyPeerHost}. */
    public static SSLContext jdkContext(Server server) {
        return ((JdkSslContext) context(server)).context();
    }

    /** Why a TLS handshake with {@code server} failed, in the configuration's terms, then the JDK's words. */
    public static String describe(Server server, Throwable failure) {
        String jdk = failure == null ? "?" : String.valueOf(failure.getMessage());
        Server.Tls tls = server.tls();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof CertPathBuilderException || t instanceof CertPathValidatorException) {
                return "the certificate of server " + server.name() + " is not trusted: "
                        + (tls.ca().isEmpty() ? "no CA the JVM trusts issued it (ssl_ca names one)"
                        : "ssl_ca " + tls.ca() + " did not issue it, or it is not valid now") + " (" + jdk + ")";
            }
            String m = t.getMessage();
            if (t instanceof CertificateException && m != null && (m.startsWith("No subject alternative")
                    || m.startsWith("No name matching"))) {
                return "the certificate of server " + server.name() + " does not name " + server.host()
                        + " (ssl_verify_peer_host=true): " + m;
            }
        }
        return "TLS with server " + server.name() + " failed: " + jdk;
    }

    /** Reads the PEM files; an error names the server and what could not be loaded. */
    private static SslContext build(String server, Server.Tls tls) {
        try {
            return build(tls);
        } catch (Exception e) {
            throw new IllegalStateException("server [" + server + "]: cannot load ssl_ca/ssl_cert/ssl_key: "
                    + (e.getMessage() != null ? e.getMessage() : e.toString()), e);
        }
    }

    private static SslContext build(Server.Tls tls) throws Exception {
        SslContextBuilder b = SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
                // Netty 4.2 checks host names by default: only when asked, as MaxScale's ssl_verify_peer_host.
                .endpointIdentificationAlgorithm(tls.verifyPeerHost() ? "HTTPS" : null);
        if (!tls.verifyPeerCertificate()) {
            b.trustManager(InsecureTrustManagerFactory.INSTANCE);
        } else if (!tls.ca().isEmpty()) {
            b.trustManager(new File(tls.ca()));
        }
        if (!tls.cert().isEmpty()) {
            b.keyManager(new File(tls.cert()), new File(tls.key()));
        }
        if (!tls.protocols().isEmpty()) {
            b.protocols(tls.protocols());
        }
        return b.build();
    }
}
