package dev.patchbay.config;

import static dev.patchbay.config.Cfg.assertErrors;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.patchbay.core.ServiceSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Filters, {@code filters=a|b}, and the runtime object files read after the main file. */
class RuntimeFilesTest {
    @TempDir
    Path dir;

    private Path main(String text) throws Exception {
        Path f = dir.resolve("patchbay.cnf");
        Files.writeString(f, text);
        Files.createDirectories(dir.resolve("patchbay.cnf.d"));
        return f;
    }

    private void object(String name, String text) throws Exception {
        Files.writeString(dir.resolve("patchbay.cnf.d").resolve(name + ".cnf"), text);
    }

    private List<String> errors(Path f) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(f));
        assertThat(e).isNotNull();
        return e.errors();
    }

    @Test
    void runtimeFilesAddReplaceAndDeleteObjects() throws Exception {
        Path f = main(Cfg.VALID);
        object("db3", "[db3]\ntype=server\naddress=10.0.0.3\nport=3306\n");
        object("svc", "[svc]\ntype=service\nservers=db3,db1\nrouter=leastconn\n");
        object("db2", "[db2]\ntype=server\ndeleted=true\n");
        // Temporary files of an interrupted write are not read.
        Files.writeString(dir.resolve("patchbay.cnf.d").resolve(".x.cnf.tmp"), "garbage");
        PatchbayConfig c = ConfigLoader.load(f);
        assertThat(c.servers()).extracting(PatchbayConfig.ServerConfig::name).containsExactly("db1", "db3");
        assertThat(c.services().get(0).servers()).containsExactly("db3", "db1");
        assertThat(c.services().get(0).settings().router()).isEqualTo(ServiceSettings.RouterKind.LEASTCONN);
        assertThat(c.runtimeDir()).isEqualTo(dir.resolve("patchbay.cnf.d").toString());
        PatchbayConfig.Origin o = c.origins().get("svc");
        assertThat(o.runtime()).isTrue();
        assertThat(o.file()).isEqualTo(dir.resolve("patchbay.cnf.d/svc.cnf").toString());
        assertThat(o.overrides()).isEqualTo(f + ":14");
        assertThat(c.origins().get("db1").runtime()).isFalse();
        assertThat(c.runtimeFiles()).hasSize(3);
    }

    @Test
    void runtimeFileErrorsNameTheirFile() throws Exception {
        Path f = main(Cfg.VALID);
        String d = dir.resolve("patchbay.cnf.d") + "/";
        object("db1", "[db1]\ntype=service\nservers=db2\n");
        object("two", "[two]\ntype=server\naddress=a\nport=1\n[three]\ntype=server\n");
        object("named", "[other]\ntype=server\naddress=a\nport=1\n");
        object("patchbay", "[patchbay]\nthreads=1\n");
        object("db4", "[db4]\ntype=server\naddress=10.0.0.4\nport=http\n");
        object("cli", "[cli]\ntype=stats_socket\nport=9999\n");
        // First the files that cannot be merged (in file name order), then the sections' own errors.
        assertThat(errors(f)).containsExactly(
                d + "db1.cnf:1: [db1] conflicts with [db1] at " + f + ":4: a server cannot be replaced by a service",
                d + "named.cnf: a runtime object file holds exactly one section, [named]",
                d + "patchbay.cnf:1: [patchbay] cannot be set in a runtime object file",
                d + "two.cnf: a runtime object file holds exactly one section, [two]",
                d + "cli.cnf:2: [cli] type: a stats_socket cannot be created or changed at run time",
                d + "db4.cnf:4: [db4] port: 'http' is not a port number (1-65535)");
    }

    @Test
    void runtimeConfigDirIsRelativeToTheFile() throws Exception {
        Path f = main("[patchbay]\nruntime_config_dir=objects\n" + Cfg.VALID.replace("[patchbay]\n", ""));
        Files.createDirectories(dir.resolve("objects"));
        Files.writeString(dir.resolve("objects/db9.cnf"), "[db9]\ntype=server\naddress=10.0.0.9\nport=1\n");
        PatchbayConfig c = ConfigLoader.load(f);
        assertThat(c.servers()).extracting(PatchbayConfig.ServerConfig::name).contains("db9");
        assertThat(c.runtimeDir()).isEqualTo(dir.resolve("objects").toString());
    }

    @Test
    void filtersAndServiceChains() {
        PatchbayConfig c = Cfg.parse(Cfg.BACKEND.replace("servers=s1,s2", "servers=s1,s2\nfilters=cap | cap2|cap") + """
                [cap]
                type=filter
                module=capture
                file=/tmp/cap-%i.pcap
                [cap2]
                type=filter
                module=Capture
                file=/tmp/all.pcap
                max_queued_bytes=65536
                [l]
                type=listener
                service=svc
                port=0
                """);
        assertThat(c.services().get(0).filters()).containsExactly("cap", "cap2", "cap");
        assertThat(c.filters()).hasSize(2);
        PatchbayConfig.CaptureSettings cs = (PatchbayConfig.CaptureSettings) c.filters().get(0).settings();
        assertThat(cs.perSession()).isTrue();
        assertThat(cs.maxQueuedBytes()).isEqualTo(8 * 1024 * 1024);
        assertThat(c.filters().get(1).module()).isEqualTo("capture");
        assertThat(((PatchbayConfig.CaptureSettings) c.filters().get(1).settings()).perSession()).isFalse();
    }

    @Test
    void filterErrors() {
        assertErrors(Cfg.BACKEND.replace("servers=s1,s2", "servers=s1,s2\nfilters=a||b") + """
                [f1]
                type=filter
                [f2]
                type=filter
                module=qla
                colour=red
                [f3]
                type=filter
                module=capture
                file=/tmp/%s.pcap
                max_queued_bytes=10
                """,
                "test.cnf:14: [svc] filters: 'a||b' has an empty entry",
                "test.cnf:15: [f1] module: is required",
                "test.cnf:19: [f2] module: 'qla' is not a known filter module (capture, qlafilter,"
                + " regexfilter, throttlefilter, topfilter)",
                "test.cnf:24: [f3] file: '/tmp/%s.pcap' may only use %i (the session id) as a placeholder",
                "test.cnf:25: [f3] max_queued_bytes: '10' is out of range (65536-1073741824)");
        assertErrors(Cfg.BACKEND.replace("servers=s1,s2", "servers=s1,s2\nfilters=nope"),
                "test.cnf:14: [svc] filters: 'nope' is not a filter defined in this file");
    }
}
