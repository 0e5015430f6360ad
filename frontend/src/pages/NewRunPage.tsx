import { useState } from 'react';
import { useCurrentUser } from '../auth/currentUser';
import { canLaunch, canUpload } from '../auth/permissions';
import { CatalogLaunch } from '../newrun/CatalogLaunch';
import { SourceChoice, type Source } from '../newrun/SourceChoice';
import { UploadLaunch } from '../newrun/UploadLaunch';

export function NewRunPage() {
  const { role } = useCurrentUser();
  const [source, setSource] = useState<Source>('catalog');
  if (!canLaunch(role)) return <p className="empty">A viewer cannot start runs.</p>;
  return (
    <>
      <h1>New run</h1>
      {canUpload(role) && <SourceChoice value={source} onChange={setSource} />}
      {canUpload(role) && source === 'upload' ? <UploadLaunch /> : <CatalogLaunch />}
    </>
  );
}
