import { PGlite } from '@electric-sql/pglite'
import { pgliteStartParams } from './database.js'
import { defaultPgliteImageDir, makePgliteImage } from './pglite-image.js'

/**
 * `npm run build`'s last step: makes the prebuilt PGlite data folder new data folders
 * are copied from (src/db/pglite-image.ts), unless this PGlite's is already there.
 * Failing to make it does not fail the build: without it, a first start runs initdb.
 */
try {
  const result = await makePgliteImage(defaultPgliteImageDir, async (pgdata) => {
    const pglite = await PGlite.create(pgdata, { startParams: pgliteStartParams })
    await pglite.close()
  })
  if (result === 'made')
    console.log(`keysmith: made the PGlite data folder image in ${defaultPgliteImageDir}`)
} catch (error) {
  console.warn(
    `keysmith: no PGlite data folder image (a first start will run initdb): ${error instanceof Error ? error.message : String(error)}`,
  )
}
