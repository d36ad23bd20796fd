package dev.patchbay.config;

import static dev.patchbay.config.Cfg.assertErrors;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The INI layer: sections, keys, comments and the exact syntax errors. */
class IniSyntaxTest {

    private static List<IniParser.Section> ini(String text, List<String> errors) {
        return IniParser.parse("a.cnf", text, errors);
    }

    @Test
    void sectionsKeysAndLineNumbers() {
        List<String> errors = new ArrayList<>();
        List<IniParser.Section> sections = ini("""
                # comment
                ; another comment
                [one]
                  key = value with spaces\t
                other=a=b

                   [ two ]
                empty=
                    # indented comment
                """, errors);
        assertThat(errors).isEmpty();
        assertThat(sections).extracting(IniParser.Section::name, IniParser.Section::line)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("one", 3), org.assertj.core.groups.Tuple.tuple("two", 7));
        assertThat(sections.get(0).entries().values()).containsExactly(
                new IniParser.Entry("key", "value with spaces", 4),
                new IniParser.Entry("other", "a=b", 5));
        assertThat(sections.get(1).entries().values()).containsExactly(new IniParser.Entry("empty", "", 8));
    }

    @Test
    void crlfLineEndingsAndByteOrderMark() {
        List<String> errors = new ArrayList<>();
        List<IniParser.Section> sections = ini("\uFEFF[one]\r\nkey=v\r\n\r\n[two]\r\nk=w", errors);
        assertThat(errors).isEmpty();
        assertThat(sections).extracting(IniParser.Section::name).containsExactly("one", "two");
        assertThat(sections.get(0).entries().get("key")).isEqualTo(new IniParser.Entry("key", "v", 2));
        assertThat(sections.get(1).entries().get("k")).isEqualTo(new IniParser.Entry("k", "w", 5));
    }

    @Test
    void emptyTextHasNoSections() {
        List<String> errors = new ArrayList<>();
        assertThat(ini("", errors)).isEmpty();
        assertThat(ini("\n# only a comment\n\n", errors)).isEmpty();
        assertThat(errors).isEmpty();
    }

    @Test
    void validSectionNameCharacters() {
        List<String> errors = new ArrayList<>();
        assertThat(ini("[Aa0_.~-]\nk=v\n", errors)).extracting(IniParser.Section::name).containsExactly("Aa0_.~-");
        assertThat(errors).isEmpty();
    }

    @Test
    void missingClosingBracket() {
        // The keys under the broken header are not reported again as "outside of any [section]".
        assertErrors("""
                [s1
                type=server
                address=127.0.0.1
                port=1
                """,
                "test.cnf:1: section header '[s1' is missing its closing ']'");
    }

    @Test
    void textAfterClosingBracketIsAMissingBracket() {
        assertErrors("[patchbay] # global\n",
                "test.cnf:1: section header '[patchbay] # global' is missing its closing ']'");
    }

    @Test
    void badSectionNames() {
        assertErrors("""
                [my server]
                type=server
                []
                [a/b]
                [ünïcode]
                [x]]
                """,
                "test.cnf:1: section name 'my server' may only contain letters, digits and _ . ~ -",
                "test.cnf:3: section name '' may only contain letters, digits and _ . ~ -",
                "test.cnf:4: section name 'a/b' may only contain letters, digits and _ . ~ -",
                "test.cnf:5: section name 'ünïcode' may only contain letters, digits and _ . ~ -",
                "test.cnf:6: section name 'x]' may only contain letters, digits and _ . ~ -");
    }

    @Test
    void lineWithoutEquals() {
        assertErrors("""
                [patchbay]
                threads 4
                """,
                "test.cnf:2: expected 'key=value', '[section]' or a comment, got 'threads 4'");
    }

    @Test
    void lineWithoutEqualsIsReportedEvenUnderABrokenHeader() {
        assertErrors("""
                [bad name]
                garbage
                """,
                "test.cnf:1: section name 'bad name' may only contain letters, digits and _ . ~ -",
                "test.cnf:2: expected 'key=value', '[section]' or a comment, got 'garbage'");
    }

    @Test
    void keyOutsideOfAnySection() {
        assertErrors("""
                # global settings
                threads=4
                [patchbay]
                """,
                "test.cnf:2: 'threads' is outside of any [section]");
    }

    @Test
    void emptyKey() {
        assertErrors("""
                [patchbay]
                =4
                """,
                "test.cnf:2: [patchbay] a line has a value but no key");
        assertErrors(" = 4\n[patchbay]\n", "test.cnf:1: a line has a value but no key");
    }

    @Test
    void duplicateSection() {
        // The second [s1] and its keys are dropped; only the duplicate header is reported.
        assertErrors("""
                [s1]
                type=server
                address=127.0.0.1
                port=1

                [s1]
                type=server
                address=127.0.0.2
                port=2
                """,
                "test.cnf:6: [s1] is defined twice (first at line 1)");
    }

    @Test
    void sectionNamesAreCaseSensitive() {
        assertThat(Cfg.parse("""
                [s1]
                type=server
                address=127.0.0.1
                port=1
                [S1]
                type=server
                address=127.0.0.1
                port=2
                """).servers()).hasSize(2);
    }

    @Test
    void duplicateKey() {
        assertErrors("""
                [s1]
                type=server
                port=1
                address=127.0.0.1
                port=2
                """,
                "test.cnf:5: [s1] port: set twice (first at line 3)");
    }

    @Test
    void firstValueOfADuplicateKeyStillCounts() {
        // The duplicate is an error; the first value is the one validated (so no cascade errors).
        assertErrors("""
                [s1]
                type=server
                address=127.0.0.1
                port=1
                port=banana
                """,
                "test.cnf:5: [s1] port: set twice (first at line 4)");
    }
}
