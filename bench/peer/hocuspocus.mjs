// The benchmark's second peer: Hocuspocus 4.7.0 (@hocuspocus/server), in
// memory, no persistence. With a Redis URL it runs as one of several
// processes sharing documents through @hocuspocus/extension-redis, as its
// documentation sets it up. Token "writer" may write; token "observer" is
// read-only (connectionConfig.readOnly), as Draftroom's observers are.
//
//   node hocuspocus.mjs PORT [redis://HOST:PORT]
//
// Prints "hocuspocus running at 127.0.0.1 on port PORT" once it listens.
import { Server } from '@hocuspocus/server'
import { Redis } from '@hocuspocus/extension-redis'

const port = Number(process.argv[2])
const redisUrl = process.argv[3]
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node hocuspocus.mjs PORT [redis://HOST:PORT]')
  process.exit(2)
}

const extensions = []
if (redisUrl) {
  const url = new URL(redisUrl)
  extensions.push(new Redis({ host: url.hostname, port: Number(url.port) }))
}

const server = new Server({
  port,
  address: '127.0.0.1',
  quiet: true,
  extensions,
  async onAuthenticate({ token, connectionConfig }) {
    if (token === 'observer') {
      connectionConfig.readOnly = true
    } else if (token !== 'writer') {
      throw new Error('unknown token')
    }
  },
})
await server.listen()
console.log(`hocuspocus running at 127.0.0.1 on port ${port}`)
