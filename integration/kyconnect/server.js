'use strict';
// A KYConnect-like API on NestJS, for unikyc's integration tests.
//
// Routes under /api/v1, as KYConnect documents them: POST auth/login
// ({email, password, mfa_code} with TOTP for MFA accounts), POST
// auth/refresh ({refresh_token}, rotated: each refresh token works once),
// GET auth/me (Bearer JWT or an API key in X-API-Key). Limits with
// @nestjs/throttler: "default" 100 a minute on every route, "login" 10 an
// hour on POST auth/login (its 429 carries Retry-After-login). Bodies are
// checked by class-validator through ValidationPipe; ids are numbers, as
// TypeORM and Prisma entities have them.
//
// Scaled by the environment so that tests run in seconds:
//   KC_GENERAL_LIMIT / KC_GENERAL_TTL_MS  (100 / 60000)
//   KC_LOGIN_LIMIT / KC_LOGIN_TTL_MS      (10 / 3600000)
//   KC_ACCESS_SECONDS                     (900)
//   KC_REFRESH_SECONDS                    (604800)
//
// Plain JavaScript: decorators are applied with Reflect.decorate, exactly
// as tsc compiles them, so there is no build step. It listens on 127.0.0.1,
// port 0, and prints "PORT=<n>". Test hooks under /_test/ are neither
// throttled nor counted: GET counts, POST reset, POST revoke, POST
// revoke-in-refresh?hold_ms=N (the next refresh mints its pair, then the
// session is revoked, then the answer leaves N ms later: a revocation while
// a refresh is in flight), GET log (every arrival: its time, when it was
// answered, method, path, status, whether it carried an expired token and
// a fingerprint of its token, with the most hits the "default" throttler
// counted in its ttl for a request it let through).

require('reflect-metadata');
const crypto = require('node:crypto');
const {
  Body, Controller, Get, Module, Post, Req, UnauthorizedException, ValidationPipe,
} = require('@nestjs/common');
const { APP_GUARD, NestFactory } = require('@nestjs/core');
const { JwtModule, JwtService } = require('@nestjs/jwt');
const { SkipThrottle, ThrottlerGuard, ThrottlerModule, ThrottlerStorage } = require('@nestjs/throttler');
const { IsEmail, IsNotEmpty, IsOptional, IsString, Matches } = require('class-validator');

const env = (name, def) => Number(process.env[name] || def);
const ACCESS_SECONDS = env('KC_ACCESS_SECONDS', 900);
const REFRESH_SECONDS = env('KC_REFRESH_SECONDS', 604800);

const USERS = [
  { id: 1, email: 'admin@yourfirm.com', password: 'yourpassword', mfaSecret: 'JBSWY3DPEHPK3PXP',
    firstName: 'Ada', lastName: 'Admin', role: 'admin', firmId: 7 },
  { id: 2, email: 'analyst@yourfirm.com', password: 'analystpass', mfaSecret: null,
    firstName: 'Alan', lastName: 'Analyst', role: 'analyst', firmId: 7 },
];
const API_KEYS = new Map([['kyc_test_key_0123456789', 2]]);

// Server state the test hooks change: tokens of an older generation are
// revoked; a refresh token is spent once used.
const state = {
  generation: 0, spent: new Set(), counts: new Map(),
  log: [], mostHits: 0, revokeInRefresh: null,
};

// --- decorators, as tsc emits them ----------------------------------------

const paramTypes = (types) => Reflect.metadata('design:paramtypes', types);
const param = (index, decorator) => (target, key) => decorator(target, key, index);
function decorateClass(cls, decorators, ctorTypes = []) {
  Reflect.decorate([...decorators, paramTypes(ctorTypes)], cls);
}
function decorateMethod(cls, name, decorators, types = []) {
  const desc = Object.getOwnPropertyDescriptor(cls.prototype, name);
  Object.defineProperty(cls.prototype, name,
    Reflect.decorate([...decorators, paramTypes(types)], cls.prototype, name, desc) || desc);
}
function decorateProperty(cls, name, decorators) {
  Reflect.decorate(decorators, cls.prototype, name);
}

// --- request bodies ---------------------------------------------------------

class LoginDto {}
decorateProperty(LoginDto, 'email', [IsEmail()]);
decorateProperty(LoginDto, 'password', [IsString(), IsNotEmpty()]);
decorateProperty(LoginDto, 'mfa_code', [IsOptional(), Matches(/^\d{6}$/)]);

class RefreshDto {}
decorateProperty(RefreshDto, 'refresh_token', [IsString(), IsNotEmpty()]);

// --- TOTP (RFC 6238: SHA-1, 6 digits, 30 s steps, one step of drift) --------

function base32(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of s.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  return Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
}
function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const h = crypto.createHmac('sha1', base32(secret)).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}
function totpValid(secret, code) {
  const step = Math.floor(Date.now() / 30000);
  return [step - 1, step, step + 1].some((s) => totp(secret, s) === code);
}

// --- the API ----------------------------------------------------------------

function publicUser(u) {
  return { id: u.id, email: u.email, first_name: u.firstName, last_name: u.lastName,
    role: u.role, firm_id: u.firmId, mfa_enabled: u.mfaSecret !== null };
}

class AuthController {
  constructor(jwt) {
    this.jwt = jwt;
  }

  issue(user) {
    const gen = state.generation;
    return {
      access_token: this.jwt.sign({ sub: user.id, typ: 'access', gen }, { expiresIn: ACCESS_SECONDS }),
      refresh_token: this.jwt.sign({ sub: user.id, typ: 'refresh', gen, jti: crypto.randomUUID() },
        { expiresIn: REFRESH_SECONDS }),
      expires_in: ACCESS_SECONDS,
      token_type: 'Bearer',
    };
  }

  verify(token, typ) {
    try {
      const claims = this.jwt.verify(token);
      if (claims.typ === typ && claims.gen === state.generation) return claims;
    } catch (e) {
      // expired or forged: refused below
    }
    return null;
  }

  login(body) {
    const user = USERS.find((u) => u.email === body.email && u.password === body.password);
    if (!user) throw new UnauthorizedException('Invalid credentials');
    if (user.mfaSecret) {
      if (!body.mfa_code) throw new UnauthorizedException('MFA code required');
      if (!totpValid(user.mfaSecret, body.mfa_code)) throw new UnauthorizedException('Invalid MFA code');
    }
    return this.issue(user);
  }

  async refresh(body) {
    const claims = this.verify(body.refresh_token, 'refresh');
    if (!claims || state.spent.has(claims.jti)) throw new UnauthorizedException('Invalid refresh token');
    state.spent.add(claims.jti);
    const pair = this.issue(USERS.find((u) => u.id === claims.sub));
    const hold = state.revokeInRefresh;
    if (hold !== null) { // the session is revoked while this answer is on its way
      state.revokeInRefresh = null;
      state.generation += 1;
      await new Promise((resolve) => setTimeout(resolve, hold));
    }
    return pair;
  }

  me(req) {
    const key = req.headers['x-api-key'];
    if (key !== undefined) {
      if (!API_KEYS.has(key)) throw new UnauthorizedException('Invalid API key');
      return publicUser(USERS.find((u) => u.id === API_KEYS.get(key)));
    }
    const m = /^Bearer (.+)$/.exec(req.headers.authorization || '');
    const claims = m && this.verify(m[1], 'access');
    if (!claims) throw new UnauthorizedException();
    return publicUser(USERS.find((u) => u.id === claims.sub));
  }
}
decorateClass(AuthController, [Controller('auth')], [JwtService]);
decorateMethod(AuthController, 'login', [Post('login'), param(0, Body())], [LoginDto]);
decorateMethod(AuthController, 'refresh', [Post('refresh'), SkipThrottle({ login: true }), param(0, Body())],
  [RefreshDto]);
decorateMethod(AuthController, 'me', [Get('me'), SkipThrottle({ login: true }), param(0, Req())], [Object]);

class AppModule {}
decorateClass(AppModule, [Module({
  imports: [
    ThrottlerModule.forRoot([
      { name: 'default', limit: env('KC_GENERAL_LIMIT', 100), ttl: env('KC_GENERAL_TTL_MS', 60000) },
      { name: 'login', limit: env('KC_LOGIN_LIMIT', 10), ttl: env('KC_LOGIN_TTL_MS', 3600000) },
    ]),
    JwtModule.register({ secret: 'integration-only-not-a-secret' }),
  ],
  controllers: [AuthController],
  providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }],
})]);

// --- test hooks and counts, on the bare Express app -------------------------

// expSeconds is a JWT's exp claim, read without verifying it.
function expSeconds(token) {
  try {
    const exp = JSON.parse(Buffer.from(String(token).split('.')[1], 'base64url').toString()).exp;
    return typeof exp === 'number' ? exp : null;
  } catch (e) {
    return null;
  }
}

// expiredOn says which expired token a request carried, as jsonwebtoken
// judges it (refused once Math.floor(now / 1000) >= exp).
function expiredOn(req, nowSeconds) {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization || '');
  const access = m && expSeconds(m[1]);
  if (access !== null && access !== undefined && Math.floor(nowSeconds) >= access) return 'access';
  const refresh = req.body && req.body.refresh_token !== undefined ? expSeconds(req.body.refresh_token) : null;
  if (refresh !== null && Math.floor(nowSeconds) >= refresh) return 'refresh';
  return '';
}

// fingerprint names the token a request carried (access or refresh)
// without writing it down.
function fingerprint(req) {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization || '');
  const token = m ? m[1] : req.body && req.body.refresh_token;
  return token ? crypto.createHash('sha256').update(String(token)).digest('hex').slice(0, 12) : '';
}

function testHooks(app) {
  const express = app.getHttpAdapter().getInstance();
  express.use((req, res, next) => {
    if (!req.path.startsWith('/_test/')) {
      const t = (performance.timeOrigin + performance.now()) / 1000;
      res.on('finish', () => { // the body is parsed by now
        const k = `${req.method} ${req.path} ${res.statusCode}`;
        state.counts.set(k, (state.counts.get(k) || 0) + 1);
        state.log.push({
          t, done: (performance.timeOrigin + performance.now()) / 1000, method: req.method, path: req.path,
          status: res.statusCode, expired: expiredOn(req, t), token: fingerprint(req),
        });
      });
    }
    next();
  });
  // What the throttler counts: the hits of a key within its ttl, read
  // where the guard reads them, for each request it lets through.
  const storage = app.get(ThrottlerStorage);
  const increment = storage.increment.bind(storage);
  storage.increment = async (key, ttl, limit, blockDuration, name) => {
    const record = await increment(key, ttl, limit, blockDuration, name);
    if (name === 'default' && !record.isBlocked) state.mostHits = Math.max(state.mostHits, record.totalHits);
    return record;
  };
  express.get('/_test/counts', (req, res) => res.json(Object.fromEntries(state.counts)));
  express.get('/_test/log', (req, res) => res.json({ arrivals: state.log, most_in_window: state.mostHits }));
  express.post('/_test/revoke-in-refresh', (req, res) => {
    state.revokeInRefresh = Number(req.query.hold_ms || 0);
    res.json({});
  });
  express.post('/_test/reset', (req, res) => {
    const storage = app.get(ThrottlerStorage);
    storage.onApplicationShutdown(); // clears its timers
    storage.storage.clear();
    storage.timeoutIds.clear();
    state.counts.clear();
    state.log = [];
    state.mostHits = 0;
    state.revokeInRefresh = null;
    res.json({});
  });
  express.post('/_test/revoke', (req, res) => {
    state.generation += 1;
    res.json({});
  });
}

async function main() {
  const app = await NestFactory.create(AppModule, { logger: ['error'] });
  app.setGlobalPrefix('api/v1');
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }));
  app.enableShutdownHooks();
  testHooks(app);
  await app.listen(0, '127.0.0.1');
  console.log(`PORT=${app.getHttpServer().address().port}`);
}

main();
