import { strict as assert } from 'node:assert';
import { renderTemplate } from '../src/go-template.js';
import { UsageError } from '../src/command.js';

describe('--format templates (docker images style)', () => {
  const headers = { ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG' };
  const rows = [{ ID: 'aaaaaaaaaaaa', Repository: 'app', Tag: '1' }, { ID: 'bbbbbbbbbbbb', Repository: 'busybox', Tag: 'latest' }];

  it('fills {{.Field}} per row, with or without spaces inside the braces', () => {
    assert.equal(renderTemplate('{{.Repository}}:{{ .Tag }}', rows, headers), 'app:1\nbusybox:latest\n');
  });

  it('turns \\t and \\n into tabs and newlines, and {{json}} into JSON', () => {
    assert.equal(renderTemplate('{{.ID}}\\t{{json .Tag}}', rows.slice(0, 1), headers), 'aaaaaaaaaaaa\t"1"\n');
    assert.equal(renderTemplate('{{json .}}', rows.slice(0, 1), headers), '{"ID":"aaaaaaaaaaaa","Repository":"app","Tag":"1"}\n');
  });

  it('table: a header from the field names, columns 3 apart and 10 wide at least, as docker prints them', () => {
    assert.equal(renderTemplate('table {{.Repository}}\\t{{.Tag}}', rows, headers), 'REPOSITORY   TAG\napp          1\nbusybox      latest\n');
    assert.equal(renderTemplate('table {{.Tag}}\\t{{.ID}}', rows.slice(0, 1), headers), 'TAG       IMAGE ID\n1         aaaaaaaaaaaa\n');
  });

  it('refuses an unknown field or an action it does not implement, naming it', () => {
    assert.throws(() => renderTemplate('{{.Nope}}', rows, headers), (e: Error) => e instanceof UsageError && /no field "Nope"/.test(e.message));
    assert.throws(() => renderTemplate('{{range .}}x{{end}}', rows, headers), (e: Error) => e instanceof UsageError && /unsupported template action \{\{range \.\}\}/.test(e.message));
  });
});
