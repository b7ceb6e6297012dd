import { strict as assert } from 'node:assert';
import { IgnorePatternError, PatternMatcher, compileSegment } from '../src/index.js';

// Expected results follow moby/patternmatcher (BuildKit's .dockerignore engine): 'exact' means the pattern
// itself matches the path, 'parent' only that it matches one of the path's parent directories.
type Expect = 'exact' | 'parent' | 'no';
const single: Array<[string, string, Expect]> = [
  ['**', 'file', 'exact'], ['**', 'dir/file', 'exact'], ['**/', 'file', 'exact'], ['**/**', 'dir/file', 'exact'],
  ['dir/**', 'dir/file', 'exact'], ['dir/**', 'dir/dir2/file', 'exact'], ['**/dir', 'dir', 'exact'],
  ['**/dir', 'dir/file', 'parent'], ['**/dir2/*', 'dir/dir2/file', 'exact'], ['**/dir2/*', 'dir/dir2/file/', 'parent'],
  ['**/dir2/**', 'dir/dir2/dir3/file', 'exact'], ['**file', 'file', 'exact'], ['**file', 'dir/file', 'exact'],
  ['**file', 'dir/xfile', 'exact'], ['**/file', 'dir/dir/file', 'exact'], ['**/file*', 'dir/dir/file.txt', 'exact'],
  ['**/file*.txt', 'dir/dir/file.txt', 'exact'], ['**/**/*.txt', 'dir/dir/file.txt', 'exact'],
  ['**/**/*.txt2', 'dir/dir/file.txt', 'no'], ['**/*.txt', 'file.txt', 'exact'], ['a**/*.txt', 'a/dir/dir/file.txt', 'exact'],
  ['a/*.txt', 'a/dir/file.txt', 'no'], ['a/*.txt', 'a/file.txt', 'exact'], ['a/*.txt**', 'a/file.txt', 'exact'],
  ['a[b-d]e', 'ae', 'no'], ['a[b-d]e', 'ace', 'exact'], ['a[b-d]e', 'aae', 'no'], ['a[^b-d]e', 'aze', 'exact'],
  ['.*', '.foo', 'exact'], ['.*', 'foo', 'no'], ['abc.def', 'abcdef', 'no'], ['abc.def', 'abc.def', 'exact'],
  ['abc?def', 'abcZdef', 'exact'], ['abc?def', 'abcdef', 'no'], ['**/foo/bar', 'foo/bar', 'exact'],
  ['**/foo/bar', 'dir/dir2/foo/bar', 'exact'], ['abc/**', 'abc', 'no'], ['abc/**', 'abc/def/ghi', 'exact'],
  ['**/.foo', '.foo', 'exact'], ['**/.foo', 'bar.foo', 'no'], ['a(b)c/def', 'a(b)c/def', 'exact'],
  ['a.|)$(}+{bc', 'a.|)$(}+{bc', 'exact'], ['dist/*.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', 'exact'],
  ['a\\\\', 'a\\', 'exact'], ['a\\*b', 'a*b', 'exact'], ['a\\*b', 'ab', 'no'],
  ['a?b', 'a☺b', 'exact'], ['a???b', 'a☺b', 'no'], ['[a-ζ]*', 'α', 'exact'], ['*[a-ζ]', 'A', 'no'],
  ['a?b', 'a/b', 'no'], ['a*b', 'a/b', 'no'], ['[\\]a]', ']', 'exact'], ['[x\\-]', '-', 'exact'], ['[x\\-]', 'z', 'no'],
  ['docs', 'docs/README.md', 'parent'], ['docs/', 'docs/x', 'parent'], ['/docs', 'docs', 'no'],
  ['foo/../bar', 'bar', 'exact'], ['./a//b/', 'a/b', 'exact'], ['*', 'a/b', 'parent'],
];

describe('context: PatternMatcher (moby/patternmatcher semantics)', () => {
  for (const [pattern, path, expect] of single) {
    it(`${JSON.stringify(pattern)} vs ${JSON.stringify(path)}: ${expect}`, () => {
      const pm = new PatternMatcher([pattern]);
      assert.equal(pm.patterns[0]!.match(path), expect === 'exact', 'exact match');
      assert.equal(pm.matches(path).matched, expect !== 'no', 'match with parents');
    });
  }

  const multi: Array<[string[], string, boolean]> = [
    [['**', '!util/docker/web'], 'util/docker/web/foo', false],
    [['**', '!util/docker/web', 'util/docker/web/foo'], 'util/docker/web/foo', true],
    [['**', '!dist/*.whl'], 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', false],
    [['docs', '!docs/README.md'], 'docs/README.md', false],
    [['docs/*', '!docs/README.md'], 'docs/README.md', false],
    [['*.go', '!fileutils.go'], 'fileutils.go', false],
    [['!fileutils.go', '*.go'], 'fileutils.go', true],
    [['*.md', '!README*.md', 'README-secret.md'], 'README-secret.md', true],
    [['*.md', '!README*.md', 'README-secret.md'], 'README.md', false],
  ];
  for (const [patterns, path, excluded] of multi) {
    it(`${JSON.stringify(patterns)} vs ${path}: ${excluded ? 'excluded' : 'kept'}`, () => {
      const pm = new PatternMatcher(patterns);
      assert.equal(pm.excludes(path), excluded);
      // The same answer when walking down with parent results, as the context walk does.
      let info: readonly boolean[] = [];
      const parts = path.split('/');
      let result = false;
      for (let i = 1; i <= parts.length; i++) {
        const r = pm.matches(parts.slice(0, i).join('/'), info);
        info = r.info;
        result = r.matched;
      }
      assert.equal(result, excluded);
    });
  }

  it('never excludes the context root', () => {
    assert.equal(new PatternMatcher(['*', '**']).excludes('.'), false);
  });

  for (const bad of ['[', 'a[', '[^bc', '\\', '[]a]', '[-]', '[x-]', '[a-b-c]', '!', '[z-a]']) {
    it(`rejects bad pattern ${JSON.stringify(bad)} naming it`, () => {
      assert.throws(() => new PatternMatcher([bad], 'ctx/.dockerignore'), (e: Error) =>
        e instanceof IgnorePatternError && e.message.startsWith('ctx/.dockerignore: bad pattern'));
    });
  }

  it('knows when an excluded directory may hold re-included paths', () => {
    const pm = new PatternMatcher(['dir', '!dir/keep', 'other']);
    assert.equal(pm.mayReinclude('dir'), true);
    assert.equal(pm.mayReinclude('other'), false);
    assert.equal(new PatternMatcher(['dir', '!*/keep']).mayReinclude('dir'), true);
    assert.equal(new PatternMatcher(['dir']).mayReinclude('dir'), false);
  });

  it('compiles single-element COPY wildcards like filepath.Match', () => {
    assert.ok(compileSegment('*.js').test('app.js'));
    assert.ok(!compileSegment('*.js').test('app.jsx'));
    assert.ok(compileSegment('file?.[ch]').test('file1.c'));
    assert.ok(!compileSegment('file?.[ch]').test('file1.o'));
    assert.ok(compileSegment('\\*').test('*'));
  });
});
