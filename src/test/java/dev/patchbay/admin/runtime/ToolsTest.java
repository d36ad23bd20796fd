package dev.patchbay.admin.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The tools operators really use: socat (Debian package {@code socat}) and hatop (Debian
 * package {@code hatop}, whose own socket and parsing code is loaded and driven here).
 */
@Timeout(60)
class ToolsTest {
    private static Rig rig;

    @BeforeAll
    static void start() throws Exception {
        rig = Rig.start();
    }

    @AfterAll
    static void stop() throws Exception {
        rig.close();
    }

    private static String run(String stdin, List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = p.getInputStream()) {
            in.transferTo(out);
        }
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(String.join(" ", cmd) + " said: " + text).isZero();
        return text;
    }

    @Test
    void socatOverUnixAndTcp() throws Exception {
        String unix = "unix-connect:" + rig.dir.resolve("admin.sock");
        String out = run("show sess\n", List.of("socat", "-t", "5", "stdio", unix));
        assertThat(out).contains(": proto=unix_stream src=unix:1 fe=GLOBAL be=<NONE> srv=<none> ts=00 ").endsWith("\n\n");
        for (String l : out.substring(0, out.length() - 2).split("\n")) {
            assertThat(l).matches(ShowSessTest.SHORT);
        }
        int port = ((InetSocketAddress) rig.address("oper")).getPort();
        String tcp = run("show cli level;show info\n", List.of("socat", "-t", "5", "stdio", "tcp4-connect:127.0.0.1:" + port));
        assertThat(tcp).startsWith("operator\n\nName: Patchbay\nVersion: ");
        assertThat(run("show sess\n", List.of("socat", "-t", "5", "stdio", "tcp4-connect:127.0.0.1:"
                + ((InetSocketAddress) rig.address("usr")).getPort()))).isEqualTo("Permission denied\n\n");
    }

    @Test
    void hatopReadsInfoAndStatsAndDrivesServers() throws Exception {
        Path script = Files.createTempFile(rig.dir, "hatop", ".py");
        Files.writeString(script, String.join("\n",
                "import importlib.machinery, importlib.util, sys",
                "loader = importlib.machinery.SourceFileLoader('hatop', '/usr/bin/hatop')",
                "spec = importlib.util.spec_from_loader('hatop', loader)",
                "hatop = importlib.util.module_from_spec(spec)",
                "loader.exec_module(hatop)",
                "sock = hatop.Socket(sys.argv[1])",
                "sock.connect()",
                "data = hatop.SocketData(sock)",
                "data.update_info()",
                "data.update_stat()",
                "print('name', data.info['software_name'], 'nproc', data.info['nproc'])",
                "print('proxies', data.pxcount, 'services', data.svcount)",
                "for iid in sorted(data.stat):",
                "    for sid, st in sorted(data.stat[iid].items(), key=lambda kv: str(kv[0])):",
                "        print(st['pxname'], st['svname'], st['status'], st['weight'])",
                "sock.send(b'disable server svc/s2')",
                "print('disable:', list(sock.recv()))",
                "data.update_stat()",
                "print('after', [st['status'] for st in data.stat[[i for i in data.stat if any(s.get('svname') == 's2' for s in data.stat[i].values())][0]].values() if st['svname'] == 's2'])",
                "sock.send(b'enable server svc/s2')",
                "print('enable:', list(sock.recv()))",
                "sock.close()",
                ""));
        String out = run("", List.of("python3", script.toString(), rig.dir.resolve("admin.sock").toString()));
        assertThat(out).contains("name Patchbay nproc 1\n")
                .contains("proxies 4 services 7\n")
                .contains("svc s1 - 1\n")
                .contains("svc BACKEND UP 2\n")
                .contains("fe_tcp FRONTEND OPEN 0\n")
                .contains("disable: ['']\n")
                .contains("after ['MAINT']\n")
                .contains("enable: ['']\n");
        assertThat(rig.pb.servers().get("s2").adminState()).isEqualTo(dev.patchbay.core.Server.AdminState.READY);
    }
}
