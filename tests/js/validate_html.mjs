// Validates an HTML file with the Nu Html Checker (vnu.jar from the vnu-jar
// package), reporting errors only.
//
// Usage: node validate_html.mjs <file.html>
//
// Needs `java` (11 or newer) on PATH, or JAVA as the path of the java binary.
// The vnu-jar postinstall script that would download a Java runtime is not
// relied on, because downloads outside the package registries fail here.
import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import vnuJar from 'vnu-jar';
import { fail, run, step } from './common.mjs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node validate_html.mjs <file.html>');
  process.exit(2);
}

// Runs java and resolves with its exit code and combined output.
function runChecker(args) {
  return new Promise((resolve, reject) => {
    const java = process.env.JAVA ?? 'java';
    const child = spawn(java, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('error', (error) => reject(new Error(`cannot run ${java}: ${error.message}; install Java 11 or newer`)));
    child.on('close', (code) => resolve({ code, output: output.trim() }));
  });
}

async function main() {
  try {
    await access(file);
  } catch {
    fail(`the file ${file} does not exist or is not readable`);
  }
  step(`check ${file} with the Nu Html Checker (errors only)`);
  const { code, output } = await runChecker(['-jar', String(vnuJar), '--errors-only', file]);
  if (code !== 0 || output !== '') {
    fail(`the Nu Html Checker reported errors (exit code ${code}):\n${output}`);
  }
}

// A cold JVM start plus the checker's schema loading takes several seconds.
run('validate_html', main, { timeoutMs: 60000 });
